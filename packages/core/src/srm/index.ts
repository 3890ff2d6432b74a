export { explicitLogits } from "./explicit.ts";
export { implicitLogits } from "./implicit.ts";
export { bceWithLogits, diceLoss, downsampleMask, segmentationLoss } from "./loss.ts";
export { Srm, type SrmShape, semanticChannels, semanticInput } from "./srm.ts";
