// The names a template reads from its locals: every identifier its compiled code uses that it does
// not declare itself and that is not a JavaScript global. views.ts hands exactly these names to
// each template as plain variables (no `with`); test/views.test.ts checks the list stays complete.
import fs from 'node:fs';
import path from 'node:path';
import ejs from 'ejs';
import ts from 'typescript';

export interface TemplateNames {
  /** Read but not declared: must come from the locals. */
  free: Set<string>;
  /** Declared at the top of the template's function: must not be one of the destructured names. */
  topLevel: Set<string>;
}

export function templateNames(file: string): TemplateNames {
  // The generated code alone (ejs keeps it as `source`), as the body of a function of ejs's arguments.
  const template = new (
    ejs as unknown as { Template: new (text: string, opts: object) => { compile(): void; source: string } }
  ).Template(fs.readFileSync(file, 'utf8'), { _with: false, compileDebug: false, filename: file });
  template.compile();
  const code = `(function (locals, escapeFn, include, rethrow) {\n${template.source}\n})`;
  const source = ts.createSourceFile('t.js', code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  const declared = new Set<string>();
  const used = new Set<string>();
  const topLevel = new Set<string>();
  let templateBody: ts.Node | undefined;
  const visit = (node: ts.Node): void => {
    if (!templateBody && ts.isFunctionExpression(node)) templateBody = node.body;
    if (
      ts.isVariableDeclaration(node) ||
      ts.isParameter(node) ||
      ts.isFunctionDeclaration(node) ||
      ts.isFunctionExpression(node)
    ) {
      const name = (node as { name?: ts.Node }).name;
      if (name && ts.isIdentifier(name)) {
        declared.add(name.text);
        if (templateBody && ts.isVariableDeclaration(node) && isDirectlyIn(node, templateBody)) topLevel.add(name.text);
      }
    }
    if (ts.isIdentifier(node) && isReference(node)) used.add(node.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  const free = new Set([...used].filter((name) => !declared.has(name) && !(name in globalThis)));
  return { free, topLevel };
}

/** A declaration directly in the function body (not inside a nested callback or block). */
function isDirectlyIn(node: ts.Node, body: ts.Node): boolean {
  let at: ts.Node | undefined = node.parent;
  while (at && at !== body) {
    if (ts.isFunctionLike(at) || ts.isBlock(at)) return false;
    at = at.parent;
  }
  return at === body;
}

function isReference(id: ts.Identifier): boolean {
  const parent = id.parent;
  if (ts.isPropertyAccessExpression(parent) && parent.name === id) return false;
  if (ts.isPropertyAssignment(parent) && parent.name === id) return false;
  if (
    (ts.isVariableDeclaration(parent) || ts.isParameter(parent) || ts.isFunctionLike(parent)) &&
    (parent as { name?: ts.Node }).name === id
  )
    return false;
  return true;
}

/** Every template under views/, by its name as routes render it ('inbox/_row'). */
export function allTemplates(viewsDir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ejs')) out.set(path.relative(viewsDir, full).replace(/\.ejs$/, ''), full);
    }
  };
  walk(viewsDir);
  return out;
}
