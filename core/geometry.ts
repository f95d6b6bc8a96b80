// x86 memory geometry every stage agrees on: 64-byte cache lines of 8-byte atomic units.
export const LINE_BYTES = 64;
export const UNIT_BYTES = 8;
