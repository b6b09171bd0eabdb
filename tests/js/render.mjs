// Render CSL-JSON items with citeproc-js, the CSL processor of Zotero and Mendeley.
//
// stdin:  {"items": [...], "style": "<csl xml>", "locale": "<locale xml>",
//          "format": "text" | "html" | "rtf", "citations": [[{"id": ...}, ...], ...]}
// stdout: {"bibliography": [str], "entry_ids": [[id]], "citations": [str],
//          "warnings": [str], "errors": [str], "processor_version": str}
// Exit status 0 when rendered, 1 when citeproc-js threw (the message is in "errors"),
// 2 on unusable input.  Everything citeproc-js prints (CSL.debug, console.*) lands in
// "warnings" so that stdout stays one JSON document.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const CSL = require("citeproc");

const warnings = [];
const errors = [];
const capture = (...args) => warnings.push(args.map(String).join(" "));
for (const name of ["log", "info", "warn", "error", "debug"]) console[name] = capture;
CSL.debug = (str) => warnings.push(String(str));

function readStdin() {
  return new Promise((resolve, reject) => {
    let data = "";
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (chunk) => { data += chunk; });
    process.stdin.on("end", () => resolve(data));
    process.stdin.on("error", reject);
  });
}

function emit(result, status) {
  process.stdout.write(JSON.stringify(result) + "\n", () => process.exit(status));
}

const out = {
  bibliography: [],
  entry_ids: [],
  citations: [],
  warnings,
  errors,
  processor_version: CSL.PROCESSOR_VERSION,
};

let input;
try {
  input = JSON.parse(await readStdin());
} catch (e) {
  errors.push(`render.mjs: stdin is not JSON: ${e.message}`);
  emit(out, 2);
}

if (input !== undefined) {
  const { items = [], style, locale, locales = {}, format = "text", citations = [] } = input;
  const byId = new Map(items.map((item) => [String(item.id), item]));
  const lang = (/xml:lang="([^"]+)"/.exec(locale || "") || [])[1] || "en-US";
  const sys = {
    retrieveLocale: (l) => locales[l] || locale,
    retrieveItem: (id) => {
      const item = byId.get(String(id));
      if (item === undefined) errors.push(`render.mjs: no item with id ${JSON.stringify(id)}`);
      return item;
    },
  };
  try {
    const engine = new CSL.Engine(sys, style, lang, true);
    engine.setOutputFormat(format);
    engine.updateItems(items.map((item) => item.id));
    for (const cites of citations) out.citations.push(engine.makeCitationCluster(cites));
    const bib = engine.makeBibliography();
    if (bib === false) {
      warnings.push("render.mjs: the style has no bibliography");
    } else {
      const [params, entries] = bib;
      out.bibliography = entries.map((e) => e.trim());
      out.entry_ids = params.entry_ids;
      if (params.bibliography_errors && params.bibliography_errors.length) {
        for (const err of params.bibliography_errors) warnings.push(JSON.stringify(err));
      }
    }
    emit(out, errors.length ? 1 : 0);
  } catch (e) {
    errors.push(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
    emit(out, 1);
  }
}
