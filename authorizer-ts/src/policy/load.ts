// Parse, validate and index a policy document (authorizer/src/policy/mod.rs).

import { JsonSyntaxError, parseExact, type Json } from "../json.js";
import { PolicyErrors, validateDocument } from "./validate.js";
import { PolicyView } from "./view.js";

/** Parses, validates and indexes a policy document from its JSON text. */
export function loadPolicy(text: string): PolicyView {
  let value: Json;
  try {
    value = parseExact(text);
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
    throw PolicyErrors.single("$", `not valid JSON (line ${e.line}, column ${e.column}): ${e.message}; a policy is one JSON object`);
  }
  return loadPolicyValue(value);
}

/** Validates and indexes an already-parsed policy document. */
export function loadPolicyValue(value: Json): PolicyView {
  validateDocument(value);
  return PolicyView.fromDocument(value);
}
