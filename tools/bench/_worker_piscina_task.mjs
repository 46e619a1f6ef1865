// Copyright the corral authors. MIT license.
// Piscina's side of `worker.ts`: the same trivial function.
export default function echo(value) {
  return value;
}
