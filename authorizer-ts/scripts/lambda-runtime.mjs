// A Lambda Runtime API client for the emulator (aws-lambda-rie) and local tests: what the
// `nodejs22.x` runtime's interface client does for an ES module handler, in the documented
// protocol (docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html): import the handler once
// (init errors go to /init/error), then forever: GET next, call the handler, POST the result
// (or the error) for that request id.
//
//   AWS_LAMBDA_RUNTIME_API=host:port node scripts/lambda-runtime.mjs [dist/handler.mjs]
const api = process.env.AWS_LAMBDA_RUNTIME_API;
if (api === undefined) {
  console.error("lambda-runtime: AWS_LAMBDA_RUNTIME_API is not set (run under aws-lambda-rie)");
  process.exit(1);
}
const base = `http://${api}/2018-06-01/runtime`;
const module = new URL(process.argv[2] ?? "../dist/handler.mjs", import.meta.url);

const errorBody = (e) => JSON.stringify({ errorType: e instanceof Error ? e.name : "Error", errorMessage: e instanceof Error ? e.message : String(e) });

let handler;
try {
  ({ handler } = await import(module.href));
  if (typeof handler !== "function") throw new TypeError(`${module.pathname} exports no function \`handler\``);
} catch (e) {
  await fetch(`${base}/init/error`, { method: "POST", body: errorBody(e), headers: { "Lambda-Runtime-Function-Error-Type": "Runtime.ImportModuleError" } });
  process.exit(1);
}

for (;;) {
  const next = await fetch(`${base}/invocation/next`);
  const id = next.headers.get("lambda-runtime-aws-request-id");
  const event = await next.json();
  const context = { awsRequestId: id, invokedFunctionArn: next.headers.get("lambda-runtime-invoked-function-arn") ?? "", getRemainingTimeInMillis: () => Number(next.headers.get("lambda-runtime-deadline-ms") ?? Date.now()) - Date.now() };
  try {
    const result = await handler(event, context);
    await fetch(`${base}/invocation/${id}/response`, { method: "POST", body: JSON.stringify(result ?? null) });
  } catch (e) {
    console.error(errorBody(e));
    await fetch(`${base}/invocation/${id}/error`, { method: "POST", body: errorBody(e), headers: { "Lambda-Runtime-Function-Error-Type": "Runtime.HandledError" } });
  }
}
