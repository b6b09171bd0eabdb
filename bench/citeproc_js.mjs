// Bench-only: build a bibliography of every item with citeproc-js and time the engine.
//
// Usage: node bench/citeproc_js.mjs STYLE.csl LOCALE.xml ITEMS.json OUTPUT.txt
// Prints one JSON line: {"engine_seconds": s, "entries": n, "version": "..."}, where
// engine_seconds covers building the engine, registering the items, makeBibliography and
// writing the entries to OUTPUT (reading the files and starting node are not counted).
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";

const require = createRequire(new URL("../tests/js/package.json", import.meta.url));
const CSL = require("citeproc");

const [stylePath, localePath, itemsPath, outputPath] = process.argv.slice(2);
const style = readFileSync(stylePath, "utf8");
const locale = readFileSync(localePath, "utf8");
const items = JSON.parse(readFileSync(itemsPath, "utf8"));
const byId = new Map(items.map((item) => [String(item.id), item]));
const lang = (/xml:lang="([^"]+)"/.exec(locale) || [])[1] || "en-US";

const start = performance.now();
const engine = new CSL.Engine(
  { retrieveLocale: () => locale, retrieveItem: (id) => byId.get(String(id)) }, style, lang, true);
engine.setOutputFormat("text");
engine.updateItems(items.map((item) => item.id));
const [, entries] = engine.makeBibliography();
writeFileSync(outputPath, entries.map((e) => e.trim()).join("\n") + "\n");
const seconds = (performance.now() - start) / 1000;
process.stdout.write(JSON.stringify(
  { engine_seconds: seconds, entries: entries.length, version: CSL.PROCESSOR_VERSION }) + "\n");
