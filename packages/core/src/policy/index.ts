export * from "./card.ts";
export { assertCompatible } from "./compat.ts";
export { createNetworks, makePolicy, type Policy, policyTensors } from "./policy.ts";
export {
  encodePolicy,
  loadPolicy,
  loadPolicyFiles,
  type PolicyFiles,
  type PolicyStoreOptions,
  savePolicy,
} from "./store.ts";
