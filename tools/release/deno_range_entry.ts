// Copyright the corral authors. MIT license.
/**
 * The test entry `deno_range.ts` gives an old Deno for packages other than
 * `@corral/context`: it turns the resource sanitizer off for every test,
 * then imports each test file named in `CORRAL_TEST_FILES`. Before Deno 2.8
 * the resource sanitizer counts the `MessageChannel` that `@corral/scope`
 * keeps open for `checkpoint()` as a leak, and those releases have no
 * option to turn it off; the op sanitizer (leaked timers and promises)
 * stays on.
 *
 * @module
 */
type TestArgs = Parameters<typeof Deno.test>;

const test = Deno.test;
function withoutResourceSanitizer(...args: TestArgs): void {
  const [first, second, third] = args as unknown[];
  if (typeof first === "object" && first !== null) {
    // Deno.test({ ... }) or Deno.test({ ... }, fn)
    const options = {
      ...(first as Deno.TestDefinition),
      sanitizeResources: false,
    };
    return second === undefined ? test(options) : test(
      options as Omit<Deno.TestDefinition, "fn">,
      second as Deno.TestDefinition["fn"],
    );
  }
  if (typeof first === "function") {
    return test({
      name: first.name,
      fn: first as Deno.TestDefinition["fn"],
      sanitizeResources: false,
    });
  }
  // Deno.test(name, fn) or Deno.test(name, options, fn)
  const fn = (third ?? second) as Deno.TestDefinition["fn"];
  const options = third === undefined
    ? {}
    : second as Partial<Deno.TestDefinition>;
  return test({
    ...options,
    name: first as string,
    fn,
    sanitizeResources: false,
  });
}
Object.assign(withoutResourceSanitizer, test);
(Deno as { test: unknown }).test = withoutResourceSanitizer;

for (const file of (Deno.env.get("CORRAL_TEST_FILES") ?? "").split(",")) {
  if (file !== "") await import(file);
}
