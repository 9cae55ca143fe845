// Experiments in the rules document's text, for the results screen. "Stop and ship the
// winner" as a change to the text: the experiment gets
// `"status": "stopped"` and `"winner": "<variation>"` (docs/rules.md, Experiments: everyone on
// its pages then gets that variation, and nothing more is recorded). The rest of the text stays
// as the marketer wrote it: the two fields are edited in place, or added after the experiment's
// "id" in its own layout, through the JSON syntax tree (@lezer/json, as the editor uses). And
// which experiment a position of the text is in (the editor's link to its results).

import { parser } from "@lezer/json";
import { elements, properties, propertyName, stringValue, topValue } from "./pointer.js";

export class ShipError extends Error {}

/** The line's leading white space before `offset`. */
function indentAt(text, offset) {
  const start = text.lastIndexOf("\n", offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(start, offset))[0];
}

/**
 * The document text with experiment `id` stopped and `winner` shipped. Throws a ShipError
 * (its message is for the marketer) when the text is not JSON, has no such experiment, or the
 * experiment has no such variation.
 */
export function shipWinner(text, id, winner) {
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ShipError(`The draft is not valid JSON (${e.message}): fix it in the editor first.`);
  }
  const index = Array.isArray(doc?.experiments) ? doc.experiments.findIndex((x) => x?.id === id) : -1;
  if (index < 0) throw new ShipError(`The draft has no experiment "${id}" (it was removed or renamed there): open the editor.`);
  const experiment = doc.experiments[index];
  if (!Array.isArray(experiment.variations) || !experiment.variations.some((v) => v?.id === winner)) {
    throw new ShipError(`Experiment "${id}" in the draft has no variation "${winner}".`);
  }

  const tree = parser.parse(text);
  const top = topValue(tree);
  const list = top && properties(text, top).find((p) => p.name === "experiments")?.value;
  const node = list?.name === "Array" ? elements(list)[index] : null;
  const edited = node?.name === "Object" ? editInPlace(text, node, winner) : null;
  if (edited !== null && check(edited, index, id, winner)) return edited;
  // The tree disagreed with JSON.parse (it should not): write the document out whole.
  doc.experiments[index] = { ...experiment, status: "stopped", winner };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

function editInPlace(text, object, winner) {
  const props = properties(text, object);
  const find = (name) => props.filter((p) => p.name === name).pop();
  const idProp = find("id");
  if (!idProp) return null;
  const edits = [];
  const wanted = [["status", "stopped"], ["winner", winner]];
  // Where a new field goes: after "id", in the layout of the object (a field per line or not).
  const multiline = text.slice(object.from, idProp.prop.from).includes("\n");
  const separator = multiline ? `,\n${indentAt(text, idProp.prop.from)}` : ", ";
  let added = "";
  for (const [name, value] of wanted) {
    const existing = find(name);
    const json = JSON.stringify(value);
    if (existing?.value) edits.push({ from: existing.value.from, to: existing.value.to, insert: json });
    else if (existing) return null;
    else added += `${separator}${JSON.stringify(name)}: ${json}`;
  }
  if (added) edits.push({ from: idProp.prop.to, to: idProp.prop.to, insert: added });
  edits.sort((a, b) => b.from - a.from);
  let out = text;
  for (const e of edits) out = out.slice(0, e.from) + e.insert + out.slice(e.to);
  return out;
}

function check(text, index, id, winner) {
  try {
    const x = JSON.parse(text).experiments[index];
    return x.id === id && x.status === "stopped" && x.winner === winner;
  } catch {
    return false;
  }
}

/** What shipping would change, in words, for the confirmation. */
export function describeShip(experiment, winner) {
  const control = Array.isArray(experiment?.variations) ? experiment.variations[0]?.id : null;
  if (winner === control) return `Experiment "${experiment.id}" stops and every visitor on its pages gets the control "${winner}" (the page as it was).`;
  return `Experiment "${experiment.id}" stops and every visitor on its pages gets variation "${winner}", with its changes.`;
}

/** The id of the experiment (`experiments[i]` of the document) that `pos` is inside, or null. */
export function experimentAt(tree, text, pos) {
  for (let n = tree.resolve(pos, 0); n; n = n.parent) {
    const list = n.parent;
    const prop = list?.parent;
    if (n.name !== "Object" || list.name !== "Array" || prop?.name !== "Property") continue;
    const key = propertyName(prop);
    if (!key || stringValue(text, key) !== "experiments" || prop.parent?.parent?.name !== "JsonText") continue;
    const id = properties(text, n).find((p) => p.name === "id")?.value;
    if (id?.name !== "String") return null;
    const value = stringValue(text, id);
    return typeof value === "string" && value ? value : null;
  }
  return null;
}
