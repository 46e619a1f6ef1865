// Copyright the corral authors. MIT license.
// A transferable variable that the tests and `_test_work.ts` both import.
import { Variable } from "@corral/context";
import { markTransferable } from "./mark_transferable.ts";

export const requestId: Variable<string> = markTransferable(
  new Variable<string>({ name: "test.requestId" }),
);
