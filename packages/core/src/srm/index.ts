export { augmentOnce, crop, flipHorizontal, photometric } from "./augment.ts";
export { fitSrm, foldOf, mapIou, type SrmFitResult, type SrmImage } from "./fit.ts";
export { bceWithLogits, diceLoss, maskToFrame, segmentationLoss } from "./loss.ts";
export { buildSrmNet, srmLogits } from "./network.ts";
export { Srm, type SrmInput, type SrmShape, toHwc } from "./srm.ts";
