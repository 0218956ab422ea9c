// Parses an AsyncAPI document with the official parser (@asyncapi/parser)
// and fails on any error-severity diagnostic, printing every diagnostic.
// Relative $refs resolve from the document's own location; a reference to
// a URL is refused, so the document is proven to resolve offline.
//
//   node validate.mjs [path]   (default: schema/asyncapi.yaml of this repo)
import { Parser, fromFile, DiagnosticSeverity } from '@asyncapi/parser';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const file = path.resolve(process.argv[2] ?? path.join(here, '..', '..', 'schema', 'asyncapi.yaml'));

// Resolvers run in order until one returns text; these come first for
// URLs and return an empty document, so the parser's own HTTP reader is
// never reached and every URL reference is reported instead.
const urls = [];
const refuse = (schema) => ({
  schema,
  order: 0,
  read: (uri) => { urls.push(uri.toString()); return '{}'; },
});
const parser = new Parser({
  __unstable: { resolver: { resolvers: [refuse('http'), refuse('https')] } },
});

const { document, diagnostics } = await fromFile(parser, file).parse();

const names = { [DiagnosticSeverity.Error]: 'error', [DiagnosticSeverity.Warning]: 'warning',
  [DiagnosticSeverity.Information]: 'info', [DiagnosticSeverity.Hint]: 'hint' };
for (const d of diagnostics) {
  const at = d.path?.length ? d.path.join('/') : '(document)';
  const line = d.range ? `:${d.range.start.line + 1}` : '';
  console.log(`${names[d.severity] ?? d.severity} ${d.code} at ${at}${line}: ${d.message}`);
}
for (const u of urls) {
  console.log(`error: a reference to a URL, which would need the network: ${u}`);
}

const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error).length + urls.length;
if (errors > 0 || document === undefined) {
  console.error(`${path.relative(process.cwd(), file)}: ${errors} error(s); not a valid AsyncAPI document`);
  process.exit(1);
}
console.log(`${path.relative(process.cwd(), file)}: valid AsyncAPI ${document.version()}, ` +
  `${document.channels().length} channels, ${document.operations().length} operations, ` +
  `${document.messages().length} messages`);
