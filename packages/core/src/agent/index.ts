export * from "../nn/layers.ts";
export * from "./grid.ts";
export { ActorCritic, type ActorCriticShape } from "./policy-net.ts";
export * from "./ppo.ts";
export * from "./reward.ts";
export * from "./state.ts";
