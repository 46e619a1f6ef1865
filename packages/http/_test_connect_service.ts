// Copyright the corral authors. MIT license.
/**
 * Test helper, not published: a Connect service descriptor built with
 * `@bufbuild/protobuf`'s runtime API (no generated code), the service's
 * Connect fetch handler, and its client transports. Messages are
 * `google.protobuf.Empty`, so a request body is `{}` in JSON and an empty
 * envelope in gRPC-Web.
 *
 * @module
 */
import { create, createFileRegistry } from "npm:@bufbuild/protobuf@2.17.0";
import type { GenService } from "npm:@bufbuild/protobuf@2.17.0/codegenv2";
import {
  type EmptySchema,
  file_google_protobuf_empty,
  FileDescriptorProtoSchema,
} from "npm:@bufbuild/protobuf@2.17.0/wkt";
import {
  createConnectRouter,
  type ServiceImpl,
} from "npm:@connectrpc/connect@2.3.0";
import { createFetchHandler } from "npm:@connectrpc/connect@2.3.0/protocol";

/** `service SleepService { rpc Sleep(Empty) returns (Empty); }` */
const file = create(FileDescriptorProtoSchema, {
  name: "corral/test/v1/sleep.proto",
  package: "corral.test.v1",
  syntax: "proto3",
  dependency: ["google/protobuf/empty.proto"],
  service: [{
    name: "SleepService",
    method: [{
      name: "Sleep",
      inputType: ".google.protobuf.Empty",
      outputType: ".google.protobuf.Empty",
    }],
  }],
});

const registry = createFileRegistry(
  file,
  (name) =>
    name === "google/protobuf/empty.proto"
      ? file_google_protobuf_empty
      : undefined,
);

/** The test service's descriptor, typed as generated code would type it. */
export const SleepService = registry.getService(
  "corral.test.v1.SleepService",
) as GenService<{
  sleep: {
    methodKind: "unary";
    input: typeof EmptySchema;
    output: typeof EmptySchema;
  };
}>;

/** The path of `SleepService.Sleep`. */
export const SLEEP_PATH = "/corral.test.v1.SleepService/Sleep";

/** A fetch handler serving `impl` with connect-es (Connect, gRPC, gRPC-Web). */
export function connectFetchHandler(
  impl: ServiceImpl<typeof SleepService>,
): (request: Request) => Promise<Response> {
  const router = createConnectRouter();
  router.service(SleepService, impl);
  const handlers = new Map(
    router.handlers.map((
      handler,
    ) => [handler.requestPath, createFetchHandler(handler)]),
  );
  return (request) => {
    const handle = handlers.get(new URL(request.url).pathname);
    return handle === undefined
      ? Promise.resolve(new Response(null, { status: 404 }))
      : handle(request);
  };
}
