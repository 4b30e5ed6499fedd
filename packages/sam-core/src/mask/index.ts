// The mask toolkit: pure TypeScript on typed arrays, for Node and the browser.
export type { AnyRle, BinaryMask, Box, CocoRle, Rle, RleSize, XywhBox } from "./types.ts";
export { MaskInputError, RleFormatError } from "./errors.ts";
export { compressRle, decodeRleCounts, decompressRle, encodeRleCounts } from "./rle-coco.ts";
export { decodeMask, encodeMask, maskToRle, rleToMask, toRle } from "./rle.ts";
export {
  rleArea,
  rleBbox,
  rleContainment,
  rleIntersect,
  rleIntersectionArea,
  rleIou,
  rleIouMatrix,
  rleMerge,
  rleSubtract,
  rleUnion,
  rleXor,
} from "./rle-ops.ts";
export { connectedComponents } from "./components.ts";
export type { Components, Connectivity } from "./components.ts";
export { fillHoles, removeSmallRegions } from "./regions.ts";
export type { FillHolesOptions, RegionMode, RegionResult } from "./regions.ts";
export { stabilityScore, stabilityScores } from "./stability.ts";
export {
  batchedMaskToBox,
  batchedNms,
  boxArea,
  boxAreas,
  boxIou,
  flattenBoxes,
  maskToBox,
  nms,
  xywhToXyxy,
  xyxyToXywh,
} from "./boxes.ts";
export type { BoxesLike, MaskBatch } from "./boxes.ts";
export { maskToPolygons, maskToRings, ringArea2 } from "./polygons.ts";
export type { MaskToPolygonsOptions, Polygon, Ring } from "./polygons.ts";
export { simplifyRing } from "./simplify.ts";
export { polygonsToMask } from "./polygon-fill.ts";
export { bridgeHoles, polygonsToCocoSegmentation } from "./coco-polygons.ts";
