export * from "./grid.ts";
export * from "./layers.ts";
export { ActorCritic, type ActorCriticShape } from "./policy-net.ts";
export * from "./ppo.ts";
export * from "./reward.ts";
export * from "./rng.ts";
export * from "./state.ts";
