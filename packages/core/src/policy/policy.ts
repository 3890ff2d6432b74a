/**
 * A trained policy: its card plus the three nets (actor, critic, SRM) and the feature
 * normalisation they were trained with. Built fresh by training or rebuilt from a stored folder.
 */
import * as tf from "@tensorflow/tfjs";
import { gridSide } from "../agent/grid.ts";
import { ActorCritic } from "../agent/policy-net.ts";
import { agentInputChannels, type FeatureStats } from "../agent/state.ts";
import type { ParamMap } from "../nn/layers.ts";
import { Srm } from "../srm/srm.ts";
import type { Architecture, PolicyCard } from "./card.ts";

export interface Policy {
  readonly card: PolicyCard;
  readonly net: ActorCritic;
  readonly srm: Srm;
  readonly featureStats: FeatureStats;
  dispose(): void;
}

/** The networks a card describes, freshly initialised from `seed`. */
export function createNetworks(
  card: Pick<PolicyCard, "grid" | "architecture" | "branch">,
  seed: number,
): { net: ActorCritic; srm: Srm } {
  const a: Architecture = card.architecture;
  const g = gridSide(card.grid);
  const net = new ActorCritic(
    {
      inputChannels: agentInputChannels(a.embeddingChannels, a.agentInput),
      stateSize: a.stateSize,
      gridSide: g,
      hidden: a.hidden,
      seesSrm: a.agentInput === "state+srm",
      actorInit: a.actorInit,
    },
    seed,
  );
  const srm = new Srm(
    {
      branch: card.branch,
      embeddingChannels: a.embeddingChannels,
      height: a.srmSize[0],
      width: a.srmSize[1],
      hidden: a.srmHidden,
      members: a.srmMembers,
    },
    seed + 1,
  );
  return { net, srm };
}

export function makePolicy(card: PolicyCard, net: ActorCritic, srm: Srm, featureStats: FeatureStats): Policy {
  return {
    card,
    net,
    srm,
    featureStats,
    dispose() {
      net.dispose();
      srm.dispose();
    },
  };
}

/** All weights under stable names: actor/..., critic/..., srm/..., features/mean|std. */
export function policyTensors(policy: Policy): tf.NamedTensorMap {
  const out: tf.NamedTensorMap = {};
  const add = (m: ParamMap) => {
    for (const [k, v] of m) out[k] = v;
  };
  add(policy.net.params);
  add(policy.srm.params);
  out["features/mean"] = tf.tensor1d(policy.featureStats.mean);
  out["features/std"] = tf.tensor1d(policy.featureStats.std);
  return out;
}
