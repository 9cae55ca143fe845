// The console's pure parts, without a browser: JSON pointers to text ranges, the console
// prefix, completion and hover from the schema, local time to UTC, and the mock's validator.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parser } from "@lezer/json";
import { locate, offsetOfLineColumn, parsePointer, pathOf, problemRange, toJsonPath, toPointer } from "../src/pointer.js";
import { derivePrefix } from "../src/prefix.js";
import { completionsAt, hoverAt, schemasAt } from "../src/schema-assist.js";
import { localToUtc, toLocalInput } from "../src/schedule.js";
import { summarize, validate } from "../dev-server.mjs";

const schema = JSON.parse(readFileSync(new URL("../../schema/rules.schema.json", import.meta.url), "utf8"));

const DOC = `{
  "rules": [
    {
      "id": "a",
      "pages": ["/", "c/*"],
      "schedule": { "windows": [] },
      "actions": [
        { "select": ".p", "set_txt": "x" }
      ]
    }
  ],
  "audiences": { "a/b": { "~": 1 } }
}`;

function range(pointer, message = "") {
  const r = problemRange(parser.parse(DOC), DOC, { pointer, message });
  return { text: DOC.slice(r.from, r.to), exact: r.exact };
}

test("a pointer maps to the value, or its key when the value is a container", () => {
  assert.deepEqual(range("/rules/0/pages/1"), { text: '"c/*"', exact: true });
  assert.deepEqual(range("/rules/0/id"), { text: '"id": "a"', exact: true });
  assert.deepEqual(range("/rules/0/schedule"), { text: '"schedule"', exact: true });
  assert.deepEqual(range("/rules/0/actions/0"), { text: '{ "select": ".p", "set_txt": "x" }', exact: true });
  assert.deepEqual(range("/rules/0"), { text: '{\n      "id": "a",', exact: true });
});

test("an unknown field marks its key alone", () => {
  assert.deepEqual(range("/rules/0/actions/0/set_txt", 'unknown field "set_txt"; expected one of …'), { text: '"set_txt"', exact: true });
});

test("escaped pointer tokens (~0, ~1) are keys with ~ and /", () => {
  assert.deepEqual(parsePointer("/a~1b/~0"), ["a/b", "~"]);
  assert.deepEqual(range("/audiences/a~1b/~0"), { text: '"~": 1', exact: true });
});

test("a pointer past the text stops at the deepest part found, marked inexact", () => {
  assert.deepEqual(range("/rules/0/schedule/start"), { text: '"schedule"', exact: false });
  assert.deepEqual(range("/rules/3"), { text: '"rules"', exact: false });
});

test("the whole document, and a JSON syntax error at its line and column", () => {
  assert.deepEqual(range(""), { text: DOC, exact: true });
  const bad = '{\n  "a": 1,\n}\n';
  const r = problemRange(parser.parse(bad), bad, { pointer: "", message: "rules are not valid JSON: trailing comma (line 3, column 1)" });
  assert.equal(bad.slice(r.from, r.to), "}");
  // Columns count UTF-8 bytes, as serde_json does.
  assert.equal(offsetOfLineColumn('{"é": x}', 1, 8), '{"é": '.length);
});

test("paths and pointers of a position", () => {
  const tree = parser.parse(DOC);
  const node = tree.resolveInner(DOC.indexOf('"x"') + 1, 1);
  const path = pathOf(DOC, node);
  assert.deepEqual(path, ["rules", 0, "actions", 0, "set_txt"]);
  assert.equal(toPointer(path), "/rules/0/actions/0/set_txt");
  assert.equal(toJsonPath(["audiences", "a.b", 0]), '$.audiences["a.b"][0]');
  const r = locate(tree, DOC, toPointer(["audiences", "a/b"]));
  assert.equal(DOC.slice(r.from, r.to), '"a/b"', "an object value: its key");
});

test("the prefix: the worker's meta tag, else the folder of app.js, else the page's, else /__veneer/", () => {
  assert.equal(derivePrefix({ meta: "/shop-admin", scriptPath: "/x/app.js" }), "/shop-admin/");
  assert.equal(derivePrefix({ meta: "", scriptPath: "/shop-admin/app.js", pathname: "/other/" }), "/shop-admin/");
  assert.equal(derivePrefix({ pathname: "/shop-admin/index.html" }), "/shop-admin/");
  assert.equal(derivePrefix({ pathname: "/shop-admin/" }), "/shop-admin/");
  assert.equal(derivePrefix({ meta: "{{prefix}}", pathname: "/" }), "/__veneer/");
  assert.equal(derivePrefix({}), "/__veneer/");
});

function complete(marked, explicit = true) {
  const pos = marked.indexOf("|");
  const text = marked.replace("|", "");
  const r = completionsAt(schema, parser.parse(text), text, pos, explicit);
  return r && r.options.map((o) => o.label);
}

test("completion: the keys an object may still take", () => {
  assert.deepEqual(complete("{|}"), ["version", "settings", "audiences", "saved_groups", "rules", "experiments", "goals"]);
  assert.deepEqual(complete('{"rules": [{"id": "a", pa|}]}', false), ["description", "pages", "audience", "schedule", "priority", "actions", "search"]);
  const ops = complete('{"rules": [{"id": "a", "actions": [{"select": "h1", |}]}]}');
  assert.ok(ops.includes("set_text") && ops.includes("remove") && !ops.includes("inject_head"), "element operations once there is a select");
  assert.equal(complete('{"rules": [{"id": "a", "actions": [{"select": "h1", "set_text": "x", |}]}]}'), null, "nothing fits after the operation");
});

test("completion: values from enums, the document's audiences and the experiment's variations", () => {
  assert.deepEqual(complete('{"experiments": [{"id": "x", "status": "|"}]}', false), ['"draft"', '"running"', '"stopped"']);
  assert.deepEqual(complete('{"audiences": {"dach": {}, "vip": {}}, "rules": [{"id": "a", "audience": "|"}]}', false), ['"dach"', '"vip"']);
  assert.deepEqual(complete('{"experiments": [{"id": "x", "variations": [{"id": "control"}, {"id": "bold"}], "winner": "|"}]}', false), ['"control"', '"bold"']);
  const actions = complete('{"rules": [{"id": "a", "actions": [|]}]}');
  assert.ok(actions.includes("select + set_text") && actions.includes("inject_head"), "one template per kind of action");
});

test("completion does not pop up on an empty spot while typing", () => {
  assert.equal(complete('{"rules": [{"id": "a", |}]}', false), null);
});

test("hover: the schema's description, else the reference's", () => {
  const text = '{"rules": [{"id": "a", "pages": ["/"], "actions": [{"select": "h1", "set_text": "x"}]}]}';
  const at = (w) => hoverAt(schema, parser.parse(text), text, text.indexOf(w) + 2);
  assert.equal(at('"set_text"').text, "replace the content with text");
  assert.equal(at('"set_text"').path, "$.rules[0].actions[0].set_text");
  assert.match(at('"pages"').text, /paths it applies to/);
  assert.ok(schemasAt(schema, ["rules", 0, "actions", 0]).length > 20, "an action is one of many shapes");
});

test("a local time in the browser's zone becomes RFC 3339 UTC", () => {
  assert.equal(localToUtc(""), null);
  const d = new Date(2030, 5, 1, 10, 30);
  assert.equal(toLocalInput(d), "2030-06-01T10:30");
  assert.equal(localToUtc("2030-06-01T10:30"), d.toISOString().replace(".000Z", "Z"));
});

test("the mock's validator says what the edge says for the common mistakes", () => {
  const demo = readFileSync(new URL("../../fixtures/rules/demo.json", import.meta.url), "utf8");
  assert.deepEqual(validate(demo), []);
  const problems = validate(demo.replace('"set_html"', '"set_txt"'));
  assert.deepEqual(problems.map((p) => p.pointer), ["/rules/0/actions/0/set_txt", "/rules/0/actions/0"]);
  assert.equal(problems[0].path, "$.rules[0].actions[0].set_txt");
  const syntax = validate('{\n  "a": 1,\n}');
  assert.match(syntax[0].message, /^rules are not valid JSON: .* \(line 3, column 1\)$/);
  assert.equal(summarize('{"rules":[{"id":"a"}]}', '{"rules":[{"id":"a","x":1},{"id":"b"}]}'), "rules: added b; changed a");
});
