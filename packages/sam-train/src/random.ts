// The trainer's deterministic randomness is sam-core's generator (mulberry32 seeded by FNV-1a of its
// labels): `Prng.derive(seed, "step", t)` gives step t the same draws in a resumed run.
export { Rng as Prng } from "@data-engine/sam-core";
