// Finding JSON locations in the editor's text through the JSON syntax tree (@lezer/json, the
// parser of @codemirror/lang-json): an RFC 6901 pointer to a text range, and the reverse (the
// path of the value or key at a position). Works on a partial or broken document: the tree
// always exists, and a pointer that goes past what is there stops at the deepest part found.

const VALUES = new Set(["Object", "Array", "String", "Number", "True", "False", "Null"]);

export function isValue(node) {
  return !!node && VALUES.has(node.name);
}

/** "/rules/0/a~1b" → ["rules", "0", "a/b"]; "" → []. */
export function parsePointer(pointer) {
  if (!pointer) return [];
  const text = pointer.startsWith("#") ? decodeURIComponent(pointer.slice(1)) : pointer;
  if (!text.startsWith("/")) return null;
  return text.slice(1).split("/").map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function children(node) {
  const out = [];
  for (let c = node.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
}

/** The JSON text of a PropertyName or String node, decoded. */
export function stringValue(text, node) {
  const raw = text.slice(node.from, node.to);
  try {
    return JSON.parse(raw);
  } catch {
    return raw.replace(/^"/, "").replace(/"$/, "");
  }
}

/** The value of a Property node (the first value after its name), or null. */
export function propertyValue(prop) {
  return children(prop).find((c) => c.name !== "PropertyName" && isValue(c)) || null;
}

export function propertyName(prop) {
  return prop.getChild ? prop.getChild("PropertyName") : children(prop).find((c) => c.name === "PropertyName");
}

/** The properties of an Object node: [{name, prop, key, value}]. */
export function properties(text, object) {
  return children(object)
    .filter((c) => c.name === "Property")
    .map((prop) => {
      const key = propertyName(prop);
      return { prop, key, name: key ? stringValue(text, key) : "", value: propertyValue(prop) };
    });
}

/** The value nodes of an Array node, in order. */
export function elements(array) {
  return children(array).filter(isValue);
}

/** The document's top value (under JsonText), or null. */
export function topValue(tree) {
  const top = tree.topNode;
  return children(top).find(isValue) || null;
}

/**
 * Walks `pointer` through the tree. Answers {node, via, prop, depth, complete}: the deepest value
 * reached, how it was reached ("key" through a property, "index" in an array, "root"), the
 * Property node when via a key, how many tokens matched, and whether all of them did.
 */
export function walk(tree, text, pointer) {
  const tokens = parsePointer(pointer);
  let node = topValue(tree);
  if (!tokens || !node) return { node, via: "root", prop: null, depth: 0, complete: false, tokens };
  let via = "root";
  let prop = null;
  let depth = 0;
  for (const token of tokens) {
    let next = null;
    let nextProp = null;
    if (node.name === "Object") {
      // The last property of that name wins, as in JSON.parse; a key without a value still counts.
      const match = properties(text, node).filter((p) => p.name === token).pop();
      if (match) {
        nextProp = match.prop;
        next = match.value;
        if (!next) return { node, via: "key", prop: nextProp, depth: depth + 1, complete: depth + 1 === tokens.length, tokens, missingValue: true };
      }
    } else if (node.name === "Array" && /^(0|[1-9][0-9]*)$/.test(token)) {
      next = elements(node)[Number(token)] || null;
    }
    if (!next) break;
    via = nextProp ? "key" : "index";
    prop = nextProp;
    node = next;
    depth += 1;
  }
  return { node, via, prop, depth, complete: depth === tokens.length, tokens };
}

function lineEnd(text, pos) {
  const nl = text.indexOf("\n", pos);
  return nl < 0 ? text.length : nl;
}

/**
 * The text range to mark for a problem at `pointer`: a scalar value with its key
 * (`"set_txt": "x"`), the key alone when the value is an object or a list, the first line of a
 * list element that is an object or a list. `exact` is false when the pointer went past what the
 * text holds (the range is then the deepest part found), and null when there is no JSON at all.
 */
export function locate(tree, text, pointer, { keyOnly = false } = {}) {
  const found = walk(tree, text, pointer);
  if (!found.node && !found.prop) return null;
  const { node, via, prop } = found;
  let from;
  let to;
  if (found.missingValue) {
    const key = propertyName(prop);
    from = key ? key.from : prop.from;
    to = prop.to;
  } else if (via === "key") {
    const key = propertyName(prop);
    const container = node.name === "Object" || node.name === "Array";
    from = key ? key.from : node.from;
    to = container || (keyOnly && key) ? (key ? key.to : lineEnd(text, node.from)) : node.to;
  } else if (node.name === "Object" || node.name === "Array") {
    from = node.from;
    to = Math.min(node.to, lineEnd(text, node.from));
    // A list element's first line alone is just "{": mark up to the end of its first key too.
    if (to - from <= 1) {
      const first = node.name === "Object" ? properties(text, node)[0] : null;
      to = first?.key ? Math.min(node.to, lineEnd(text, first.key.from)) : Math.min(node.to, from + 1);
    }
  } else {
    from = node.from;
    to = node.to;
  }
  return { from, to: Math.max(to, from), exact: found.complete && !!found.tokens };
}

/** The 0-based offset of a 1-based line and column (columns count UTF-8 bytes, as serde_json does). */
export function offsetOfLineColumn(text, line, column) {
  let offset = 0;
  for (let i = 1; i < line; i++) {
    const nl = text.indexOf("\n", offset);
    if (nl < 0) return text.length;
    offset = nl + 1;
  }
  const end = lineEnd(text, offset);
  const lineText = text.slice(offset, end);
  const bytes = new TextEncoder().encode(lineText);
  const prefix = new TextDecoder().decode(bytes.slice(0, Math.max(0, column - 1)));
  return Math.min(end, offset + prefix.length);
}

/**
 * The range for one validation problem ({pointer, path, message}), for an editor diagnostic.
 * A JSON syntax error ("(line 4, column 3)" in its message) points at that character.
 */
export function problemRange(tree, text, problem) {
  const pos = /\(line (\d+), column (\d+)\)/.exec(problem.message || "");
  if (pos && !problem.pointer) {
    const at = offsetOfLineColumn(text, Number(pos[1]), Number(pos[2]));
    const from = Math.max(0, Math.min(at, text.length) - (at >= text.length ? 1 : 0));
    return { from, to: Math.min(text.length, from + 1), exact: true };
  }
  const pointer = typeof problem.pointer === "string" ? problem.pointer : "";
  if (pointer === "") return { from: 0, to: text.length, exact: true };
  // "unknown field" is about the key itself, not its value.
  const range = locate(tree, text, pointer, { keyOnly: /unknown field/.test(problem.message || "") });
  return range || { from: 0, to: text.length, exact: false };
}

/**
 * The path (list of keys and indices) of the value that holds `node`, going up to the root, and
 * a flag for whether `node` itself is a property name (then the path is that of its object).
 */
export function pathOf(text, node) {
  const path = [];
  let cur = node;
  while (cur && cur.parent) {
    const parent = cur.parent;
    if (parent.name === "Property" && cur.name !== "PropertyName" && isValue(cur)) {
      const key = propertyName(parent);
      path.unshift(key ? stringValue(text, key) : "");
    } else if (parent.name === "Array" && isValue(cur)) {
      path.unshift(elements(parent).findIndex((e) => e.from === cur.from));
    }
    cur = parent;
  }
  return path;
}

/** An RFC 6901 pointer for a path. */
export function toPointer(path) {
  return path.map((s) => `/${String(s).replace(/~/g, "~0").replace(/\//g, "~1")}`).join("");
}

/** A path written as the validator writes it: $.rules[0].actions[1]["a.b"]. */
export function toJsonPath(path) {
  let out = "$";
  for (const s of path) {
    if (typeof s === "number") out += `[${s}]`;
    else if (/^[A-Za-z0-9_$-]+$/.test(s)) out += `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}
