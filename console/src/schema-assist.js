// Autocompletion and hover help from schema/rules.schema.json, over the JSON syntax tree.
//
// The schema is small and plain (objects, lists, $ref, oneOf, enum, const), so this walks it
// directly: the schemas that may hold the value at a path, the keys an object may still take,
// the values a field may have. Actions are a oneOf of one shape per operation: once an action
// has an operation, only the keys that fit it are offered.

import { syntaxTree } from "@codemirror/language";
import { snippetCompletion } from "@codemirror/autocomplete";
import { hoverTooltip } from "@codemirror/view";
import { elements, pathOf, properties, propertyName, propertyValue, stringValue, toJsonPath, walk, toPointer } from "./pointer.js";
import { fieldDoc } from "./field-docs.js";

// ---- the schema, pure -------------------------------------------------------------------------

function deref(root, schema) {
  let s = schema;
  for (let i = 0; s && typeof s.$ref === "string" && i < 32; i++) {
    if (!s.$ref.startsWith("#/")) return null;
    let target = root;
    for (const part of s.$ref.slice(2).split("/")) target = target?.[part.replace(/~1/g, "/").replace(/~0/g, "~")];
    s = target && { ...target, description: s.description || target.description };
  }
  return s || null;
}

/** The alternatives a schema stands for ($ref resolved, oneOf/anyOf flattened, allOf merged). */
export function expand(root, schema, depth = 0) {
  const s = deref(root, schema);
  if (!s || typeof s !== "object" || depth > 16) return [];
  let base = s;
  if (Array.isArray(s.allOf)) {
    base = { ...s };
    for (const part of s.allOf) {
      for (const p of expand(root, part, depth + 1)) {
        base.properties = { ...(base.properties || {}), ...(p.properties || {}) };
        base.required = [...(base.required || []), ...(p.required || [])];
        base.type ??= p.type;
      }
    }
  }
  const branches = base.oneOf || base.anyOf;
  if (!Array.isArray(branches)) return [base];
  const out = [];
  for (const b of branches) {
    for (const e of expand(root, b, depth + 1)) out.push(base.description && !e.description ? { ...e, description: base.description } : e);
  }
  return out;
}

/** The schemas that may describe the value at `path` (a list of keys and indices). */
export function schemasAt(root, path) {
  let current = expand(root, root);
  for (const step of path) {
    const next = [];
    for (const s of current) {
      let child = null;
      if (typeof step === "number") {
        if (s.items && typeof s.items === "object") child = s.items;
      } else if (s.properties && Object.hasOwn(s.properties, step)) {
        child = s.properties[step];
      } else if (s.additionalProperties && typeof s.additionalProperties === "object") {
        child = s.additionalProperties;
      }
      if (child) next.push(...expand(root, child));
    }
    current = next;
    if (!current.length) break;
  }
  return current;
}

/** The JSON types a schema allows. */
export function typesOf(s) {
  if (!s) return [];
  if (typeof s.type === "string") return [s.type];
  if (Array.isArray(s.type)) return s.type;
  const values = "const" in s ? [s.const] : s.enum || [];
  const types = new Set(values.map((v) => (v === null ? "null" : Array.isArray(v) ? "array" : Number.isInteger(v) ? "integer" : typeof v)));
  return [...types];
}

/** Shapes an object at `path` can still take, given the keys it already has. */
export function objectShapes(root, path, existing) {
  const shapes = schemasAt(root, path).filter((s) => s.properties || typesOf(s).includes("object"));
  const fitting = shapes.filter((s) => s.additionalProperties !== false || existing.every((k) => Object.hasOwn(s.properties || {}, k)));
  return fitting.length ? fitting : shapes;
}

/** Keys an object at `path` may take: [{name, schema, required}], without those in `existing`. */
export function keysFor(root, path, existing, typing = null) {
  const seen = new Map();
  const shapes = objectShapes(root, path, existing.filter((k) => k !== typing));
  for (const s of shapes) {
    for (const [name, schema] of Object.entries(s.properties || {})) {
      if (existing.includes(name) && name !== typing) continue;
      // Required only when every shape left requires it (an action's operation is not).
      const required = shapes.every((o) => (o.required || []).includes(name));
      if (!seen.has(name)) seen.set(name, { name, schema, required });
    }
  }
  return [...seen.values()];
}

/** A one-line summary of what a field takes: "string", "one of: draft, running, stopped"… */
export function summary(root, schemas) {
  const parts = [];
  for (const s of schemas) {
    if ("const" in s) parts.push(JSON.stringify(s.const));
    else if (s.enum) parts.push(`one of ${s.enum.map((v) => JSON.stringify(v)).join(", ")}`);
    else {
      let t = typesOf(s).join(" or ") || "any value";
      if (t === "array" && s.items) {
        const items = expand(root, s.items);
        const inner = summary(root, items.length > 3 ? [] : items);
        if (inner) t = `list of ${inner}`;
      }
      if (s.minimum !== undefined || s.maximum !== undefined) t += ` (${s.minimum ?? "…"} to ${s.maximum ?? "…"})`;
      parts.push(t);
    }
  }
  return [...new Set(parts)].join(" | ");
}

function description(root, path, schemas) {
  return schemas.find((s) => s.description)?.description || fieldDoc(path) || null;
}

// ---- where the cursor is ----------------------------------------------------------------------

const WORD = /[A-Za-z0-9_$-]*$/;

function keysOf(text, object) {
  return properties(text, object).map((p) => p.name);
}

function prevChar(text, pos) {
  for (let i = pos - 1; i >= 0; i--) if (!/\s/.test(text[i])) return text[i];
  return "";
}

/**
 * What is being typed at `pos`: a key of an object ({kind: "key", object, from, to, quoted,
 * hasValue}) or a value ({kind: "value", path, from, to, quoted}), or null.
 */
export function cursorContext(tree, text, pos) {
  const node = tree.resolveInner(pos, -1);
  const word = () => {
    const w = WORD.exec(text.slice(Math.max(0, node.from), pos))[0];
    return { from: pos - w.length, to: pos };
  };
  const keyIn = (object, range, extra = {}) => ({ kind: "key", object, path: pathOf(text, object), existing: keysOf(text, object), ...range, quoted: false, hasValue: false, ...extra });
  const valueOf = (prop, range, quoted) => {
    const key = propertyName(prop);
    const object = prop.parent;
    return { kind: "value", path: [...pathOf(text, object), key ? stringValue(text, key) : ""], ...range, quoted };
  };
  const valueInArray = (array, range, quoted) => {
    const index = elements(array).filter((e) => e.to <= range.from).length;
    return { kind: "value", path: [...pathOf(text, array), index], ...range, quoted, inArray: true };
  };

  switch (node.name) {
    case "PropertyName": {
      const prop = node.parent;
      const object = prop.parent;
      if (pos <= node.from) return null;
      return keyIn(object, { from: node.from, to: node.to }, {
        quoted: true,
        hasValue: !!propertyValue(prop) || text.slice(node.to, prop.to).includes(":"),
        typing: stringValue(text, node),
      });
    }
    case "String": {
      if (pos <= node.from) return null;
      const parent = node.parent;
      if (parent?.name === "Property") return valueOf(parent, { from: node.from, to: node.to }, true);
      if (parent?.name === "Array") return valueInArray(parent, { from: node.from, to: node.to }, true);
      return null;
    }
    case "Number": case "True": case "False": case "Null": case "⚠": {
      const parent = node.parent;
      const range = node.name === "⚠" ? word() : { from: node.from, to: node.to };
      if (node.name === "⚠" && text[range.from - 1] === '"') return null;
      if (!parent) return null;
      if (parent.name === "Object") return keyIn(parent, range);
      if (parent.name === "Property") return valueOf(parent, range, false);
      if (parent.name === "Array") return valueInArray(parent, range, false);
      return null;
    }
    case "Object": case "{": case ",": {
      const object = node.name === "Object" ? node : node.parent;
      if (object?.name === "Object") return keyIn(object, { from: pos, to: pos });
      if (object?.name === "Array") return valueInArray(object, { from: pos, to: pos }, false);
      return null;
    }
    case "Property": case ":": {
      const prop = node.name === "Property" ? node : node.parent;
      if (prop?.name !== "Property") return null;
      if (prevChar(text, pos) === ":") return valueOf(prop, { from: pos, to: pos }, false);
      return null;
    }
    case "Array": case "[": {
      const array = node.name === "Array" ? node : node.parent;
      if (array?.name === "Array") return valueInArray(array, { from: pos, to: pos }, false);
      return null;
    }
    default:
      return null;
  }
}

// ---- completions ------------------------------------------------------------------------------

/** The text typed for a value of this schema after a new key (a snippet template). */
export function valueTemplate(schemas) {
  const s = schemas.length === 1 ? schemas[0] : null;
  if (s && "const" in s) return JSON.stringify(s.const);
  const types = new Set(schemas.flatMap(typesOf));
  if (types.size !== 1) return "${}";
  const [t] = types;
  if (t === "string") return '"${}"';
  if (t === "object") return "{${}}";
  if (t === "array") return "[${}]";
  if (t === "boolean") return "${true}";
  return "${}";
}

/** A new object for a list element: its required keys, with placeholders. */
function objectTemplate(root, shape, path) {
  const req = shape.required || [];
  const parts = req.map((k) => {
    const child = expand(root, shape.properties?.[k] || {});
    const v = valueTemplate(child).replace("${}", `\${${k}}`).replace("${true}", "${true}");
    return `"${k}": ${v}`;
  });
  return `{ ${parts.join(", ")} }`;
}

/** Names the document defines under a top-level key (audiences, saved_groups). */
function definedNames(tree, text, key) {
  const found = walk(tree, text, toPointer([key]));
  if (!found.complete || found.node?.name !== "Object") return [];
  return keysOf(text, found.node);
}

/** The variation ids of the experiment at `path` (for "winner"). */
function variationIds(tree, text, experimentPath) {
  const found = walk(tree, text, toPointer([...experimentPath, "variations"]));
  if (!found.complete || found.node?.name !== "Array") return [];
  const ids = [];
  for (const el of elements(found.node)) {
    if (el.name !== "Object") continue;
    const id = properties(text, el).find((p) => p.name === "id");
    if (id?.value?.name === "String") ids.push(stringValue(text, id.value));
  }
  return ids;
}

/** Completion options at `pos` (pure: no editor needed; used by the editor and the tests). */
export function completionsAt(root, tree, text, pos, explicit = false) {
  const ctx = cursorContext(tree, text, pos);
  if (!ctx) return null;
  // While typing, only once a word or a quote is started; an empty spot on request (Ctrl-Space).
  if (!explicit && ctx.from === ctx.to && !ctx.quoted) return null;
  const options = [];
  if (ctx.kind === "key") {
    for (const k of keysFor(root, ctx.path, ctx.existing, ctx.typing)) {
      const childSchemas = expand(root, k.schema);
      const info = description(root, [...ctx.path, k.name], childSchemas);
      const detail = summary(root, childSchemas);
      const base = { label: k.name, type: "property", detail: k.required ? `required · ${detail}` : detail, info: info || undefined, boost: k.required ? 1 : 0 };
      if (ctx.hasValue) options.push({ ...base, apply: JSON.stringify(k.name) });
      else options.push(snippetCompletion(`${JSON.stringify(k.name)}: ${valueTemplate(childSchemas)}`, base));
    }
  } else {
    const schemas = schemasAt(root, ctx.path);
    const literal = (value, extra = {}) => {
      const label = JSON.stringify(value);
      options.push({ label, type: typeof value === "string" ? "text" : "keyword", apply: label, ...extra });
    };
    const last = ctx.path[ctx.path.length - 1];
    for (const s of schemas) {
      if ("const" in s) literal(s.const);
      for (const v of s.enum || []) literal(v);
      if (typesOf(s).includes("boolean")) { literal(true); literal(false); }
      if (s.description === "an audience name") {
        for (const name of definedNames(tree, text, "audiences")) literal(name, { detail: "audience" });
      }
    }
    if (last === "winner" && ctx.path[0] === "experiments") {
      for (const id of variationIds(tree, text, ctx.path.slice(0, 2))) literal(id, { detail: "variation" });
    }
    if (ctx.inArray && !ctx.quoted) {
      // A new list element: one template per shape it can take (e.g. one per action).
      const shapes = schemas.filter((s) => typesOf(s).includes("object") || s.properties);
      for (const shape of shapes) {
        const req = shape.required || [];
        const common = shapes.length > 1 ? req.filter((k) => shapes.every((o) => (o.required || []).includes(k))) : [];
        const own = req.filter((k) => !common.includes(k));
        const label = own.length ? own.join(" + ") : shapes.length > 1 ? "{…}" : `new ${singular(ctx.path[ctx.path.length - 2])}`;
        const info = own.length === 1 ? expand(root, shape.properties?.[own[0]] || {})[0]?.description : null;
        options.push(snippetCompletion(objectTemplate(root, shape, ctx.path), { label, type: "class", detail: req.length ? `{ ${req.join(", ")} }` : "{ }", info: info || undefined }));
      }
    }
  }
  if (!options.length) return null;
  const seen = new Set();
  const unique = options.filter((o) => (seen.has(o.label) ? false : seen.add(o.label)));
  return { from: ctx.from, to: ctx.to, options: unique, validFor: ctx.quoted ? undefined : /^[A-Za-z0-9_$-]*$/ };
}

function singular(word) {
  if (typeof word !== "string") return "item";
  return word.endsWith("s") ? word.slice(0, -1) : word;
}

/** The CodeMirror completion source. */
export function schemaCompletionSource(root) {
  return (context) => {
    const tree = syntaxTree(context.state);
    const text = context.state.doc.toString();
    const result = completionsAt(root, tree, text, context.pos, context.explicit);
    if (!result) return null;
    // Inside a quoted key or value the whole string is replaced, so filter on what is inside.
    if (result.to > context.pos && result.to - result.from > 1) return { ...result, filter: true };
    return result;
  };
}

// ---- hover ------------------------------------------------------------------------------------

/** Help for the key or value at `pos`: {from, to, path, text, type} or null (pure). */
export function hoverAt(root, tree, text, pos, side = 1) {
  let node = tree.resolveInner(pos, side);
  if (node.name === "PropertyName") {
    const prop = node.parent;
    const value = propertyValue(prop);
    const path = [...pathOf(text, prop.parent), stringValue(text, node)];
    const schemas = schemasAt(root, path);
    if (!schemas.length) {
      return { from: node.from, to: node.to, path: toJsonPath(path), text: "not a field Veneer knows here: the validator will say what it expects", type: "" };
    }
    return { from: node.from, to: node.to, path: toJsonPath(path), text: description(root, path, schemas), type: summary(root, schemas) };
  }
  return null;
}

export function schemaHover(root) {
  return hoverTooltip((view, pos, side) => {
    const tree = syntaxTree(view.state);
    const help = hoverAt(root, tree, view.state.doc.toString(), pos, side);
    if (!help) return null;
    return {
      pos: help.from,
      end: help.to,
      above: true,
      create() {
        const dom = document.createElement("div");
        dom.className = "veneer-hover";
        const path = document.createElement("code");
        path.textContent = help.path;
        dom.append(path);
        if (help.text) {
          const p = document.createElement("p");
          p.textContent = help.text;
          dom.append(p);
        }
        if (help.type) {
          const t = document.createElement("p");
          t.className = "veneer-hover-type";
          t.textContent = help.type;
          dom.append(t);
        }
        return { dom };
      },
    };
  });
}
