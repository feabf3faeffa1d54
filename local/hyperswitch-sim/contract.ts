/**
 * The Hyperswitch v2 contract (contracts/hyperswitch/vault-flow-subset.openapi.json) as validators.
 * Two readings of request bodies: `spec`, the file as published (what our client must satisfy), and
 * `server`, the spec with SERVER_DEVIATIONS applied (what the real server accepts, so what the
 * simulator enforces). Responses are checked against the spec as published, minus the fields the
 * server declares optional. See contracts/hyperswitch/README.md.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export const CONTRACT_PATH = join(__dirname, '../../contracts/hyperswitch/vault-flow-subset.openapi.json');

export interface OpenApiOperation {
  parameters?: Array<{ name: string; in: string; required?: boolean }>;
  requestBody?: { content: { 'application/json': { schema: JsonObject } } };
  responses: Record<string, { content?: { 'application/json'?: { schema: JsonObject } } }>;
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, JsonObject> };
}

/** Where Hyperswitch's Rust types and its published spec disagree; the simulator follows the server. */
export const SERVER_DEVIATIONS: ReadonlyArray<{ schema: string; describe: string; apply: (schema: JsonObject) => void }> = [
  {
    schema: 'CardDetail',
    describe: 'card_holder_name and card_issuing_country are Option<…>; unknown fields are denied',
    apply: (schema) => {
      schema.required = (schema.required as string[]).filter((name) => name !== 'card_holder_name' && name !== 'card_issuing_country');
      schema.additionalProperties = false;
    },
  },
  {
    schema: 'PaymentMethodResponse',
    describe: 'raw_payment_method_data and network_transaction_id are Option<…>, omitted when empty',
    apply: (schema) => {
      schema.required = (schema.required as string[]).filter((name) => name !== 'raw_payment_method_data' && name !== 'network_transaction_id');
    },
  },
  {
    schema: 'PaymentMethodDataRequest',
    describe: 'the payment method data is a flattened Option<…>: `{}` (with a saved payment_method_id) is accepted',
    apply: (schema) => {
      const published = { ...schema };
      for (const key of Object.keys(schema)) delete schema[key];
      schema.anyOf = [published, { type: 'object', properties: { billing: {} }, additionalProperties: false }];
    },
  },
];

export function loadContract(): OpenApiDocument {
  return JSON.parse(readFileSync(CONTRACT_PATH, 'utf8')) as OpenApiDocument;
}

/**
 * OpenAPI 3.0 `nullable: true` is not JSON Schema (and Ajv rejects it beside `allOf`/`$ref`):
 * rewrite it as `anyOf [schema, null]`, and make `$ref`s point into the document registered as `spec`.
 */
function toJsonSchema(node: Json): Json {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (node === null || typeof node !== 'object') return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string') out[key] = `spec${value}`;
    else if (key === 'example' || key === 'examples' || key === 'discriminator') continue;
    else if (key === 'properties' && value && typeof value === 'object' && !Array.isArray(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, schema]) => [name, toJsonSchema(schema)]));
    } else out[key] = toJsonSchema(value);
  }
  if (out.nullable === true) {
    delete out.nullable;
    const { description, default: fallback, ...rest } = out;
    return { anyOf: [rest, { type: 'null' }], ...(description === undefined ? {} : { description }), ...(fallback === undefined ? {} : { default: fallback }) };
  }
  delete out.nullable;
  return out;
}

export interface Violation {
  path: string;
  message: string;
}

function describeErrors(errors: ErrorObject[] | null | undefined): Violation[] {
  return (errors ?? []).map((error) => ({ path: error.instancePath || '(root)', message: error.message ?? error.keyword }));
}

export class ContractValidator {
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(readonly document: OpenApiDocument) {
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    addFormats(this.ajv);
    this.ajv.addSchema({ components: toJsonSchema(document.components as unknown as Json) } as object, 'spec');
  }

  private static shared: { spec: ContractValidator; server: ContractValidator } | undefined;

  /**
   * The published and the server reading of the contract, built and compiled once per process:
   * compiling PaymentsRequest alone takes a few hundred milliseconds, which must not land on the
   * first request a test times.
   */
  static load(): { spec: ContractValidator; server: ContractValidator } {
    if (!ContractValidator.shared) {
      const document = loadContract();
      ContractValidator.shared = { spec: new ContractValidator(document).compileAll(), server: ContractValidator.forServer(document).compileAll() };
    }
    return ContractValidator.shared;
  }

  /** Compiles the body validators of every operation now rather than on first use. */
  compileAll(): this {
    for (const [template, operations] of Object.entries(this.document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        if (operation.requestBody) this.validateRequestBody(method.toUpperCase(), template, undefined);
        this.validateResponseBody(method.toUpperCase(), template, 200, undefined);
      }
    }
    return this;
  }

  /** A validator with the server's deviations applied to a copy of the document. */
  static forServer(document: OpenApiDocument): ContractValidator {
    const copy = structuredClone(document);
    for (const deviation of SERVER_DEVIATIONS) {
      const schema = copy.components.schemas[deviation.schema];
      if (!schema) throw new Error(`SERVER_DEVIATIONS names ${deviation.schema}, which the contract does not have`);
      deviation.apply(schema);
    }
    return new ContractValidator(copy);
  }

  operation(method: string, template: string): OpenApiOperation {
    const operation = this.document.paths[template]?.[method.toLowerCase()];
    if (!operation) throw new Error(`The contract has no operation ${method} ${template}`);
    return operation;
  }

  validateRequestBody(method: string, template: string, body: unknown): Violation[] {
    const schema = this.operation(method, template).requestBody?.content['application/json'].schema;
    if (!schema) return body === undefined ? [] : [{ path: '(root)', message: 'operation takes no body' }];
    return this.check(`request ${method} ${template}`, schema, body);
  }

  /** Headers the operation requires (e.g. X-Profile-Id) that are missing; names compared case-insensitively. */
  missingHeaders(method: string, template: string, headers: Record<string, unknown>): string[] {
    return (this.operation(method, template).parameters ?? [])
      .filter((parameter) => parameter.in === 'header' && parameter.required && headers[parameter.name.toLowerCase()] === undefined)
      .map((parameter) => parameter.name);
  }

  validateResponseBody(method: string, template: string, status: number, body: unknown): Violation[] {
    const schema = this.operation(method, template).responses[String(status)]?.content?.['application/json']?.schema;
    if (!schema) return [];
    return this.check(`response ${method} ${template} ${status}`, schema, body);
  }

  validateSchema(name: string, value: unknown): Violation[] {
    return this.check(`schema ${name}`, { $ref: `#/components/schemas/${name}` }, value);
  }

  private check(key: string, schema: JsonObject, value: unknown): Violation[] {
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile(toJsonSchema(schema) as object);
      this.compiled.set(key, validate);
    }
    return validate(value) ? [] : describeErrors(validate.errors);
  }
}
