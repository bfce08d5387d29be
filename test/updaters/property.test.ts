/**
 * Property tests: for each ecosystem, random surrounding content (comments that mention the package,
 * prefix-neighbour packages, odd spacing, tabs, CRLF, BOM, missing final newline) around one target
 * declaration. The update must equal the input with only the target's version bytes replaced.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { updaterFor } from '../../src/updaters/registry.ts';

interface Built {
  content: string;
  /** The exact text the update must produce. */
  expected: string;
  path: string;
  packageName: string;
  fixed: string;
}

/** Joins pieces; `{ old, next }` marks the one span the update may change. */
function assemble(pieces: Array<string | { old: string; next: string }>): { content: string; expected: string } {
  let content = '';
  let expected = '';
  for (const piece of pieces) {
    content += typeof piece === 'string' ? piece : piece.old;
    expected += typeof piece === 'string' ? piece : piece.next;
  }
  return { content, expected };
}

const nl = fc.constantFrom('\n', '\r\n');
const space = fc.constantFrom('', ' ', '  ', '\t');
const indent = fc.constantFrom('', '  ', '    ', '\t', '\t\t');
const patch = fc.integer({ min: 0, max: 40 });
const bump = fc.integer({ min: 1, max: 30 });
const eof = fc.constantFrom('', '\n', '\r\n', '\n\n');

function shuffleIn<T>(items: T[], target: T, position: number): T[] {
  const at = position % (items.length + 1);
  return [...items.slice(0, at), target, ...items.slice(at)];
}

const npm = fc
  .record({ nl, sp: space, ind: indent, bom: fc.boolean(), op: fc.constantFrom('^', '~', '>=', '', '=', '>= ', 'v'), p: patch, d: bump, pos: fc.nat(), others: fc.array(fc.constantFrom('target-pkg-extra', 'target', '@scope/target-pkg', 'other'), { maxLength: 4 }) })
  .map(({ nl, sp, ind, bom, op, p, d, pos, others }): Built => {
    const entry = (name: string, spec: string | { old: string; next: string }) => [`${ind}${ind}"${name}"${sp}:${sp}"`, spec, '"'];
    const fixed = `1.2.${p + d}`;
    const entries = shuffleIn(
      others.map((o, i) => entry(`${o}${i || ''}`, `^1.2.${p}`)),
      entry('target-pkg', { old: `${op}1.2.${p}`, next: `${op}${fixed}` }),
      pos,
    );
    const body = entries.flatMap((e, i) => (i === 0 ? e : [`,${nl}`, ...e]));
    const pieces = [bom ? '\uFEFF' : '', `{${nl}${ind}"name": "target-pkg",${nl}${ind}"version": "1.2.${p}",${nl}${ind}"dependencies"${sp}:${sp}{${nl}`, ...body, `${nl}${ind}}${nl}}`];
    return { ...assemble(pieces), path: 'package.json', packageName: 'target-pkg', fixed };
  });

const pip = fc
  .record({ nl, sp: space, sp2: space, p: patch, d: bump, pos: fc.nat(), spelling: fc.constantFrom('target-pkg', 'Target_Pkg', 'target.pkg', 'TARGET--pkg'), extras: fc.constantFrom('', '[security]', '[a, b]'), marker: fc.constantFrom('', ' ; python_version >= "3.8"', ';sys_platform=="linux"'), comment: fc.constantFrom('', '  # pinned 1.2.0', '\t# target-pkg==9'), others: fc.array(fc.constantFrom('target-pkg-extra==1.2.0', '# target-pkg==1.0.0', '', 'target==1.2.0', '-r base.txt', 'other>=1.0  # ok'), { maxLength: 5 }), end: eof })
  .map(({ nl, sp, sp2, p, d, pos, spelling, extras, marker, comment, others, end }): Built => {
    const fixed = `1.2.${p + d}`;
    const target = [`${spelling}${extras}${sp}==${sp2}`, { old: `1.2.${p}`, next: fixed }, `${marker}${comment}`];
    const lines = shuffleIn(others.map((o) => [o]), target, pos);
    const pieces = lines.flatMap((l, i) => (i === 0 ? l : [nl, ...l]));
    return { ...assemble([...pieces, end]), path: 'requirements.txt', packageName: 'target-pkg', fixed };
  });

const gomod = fc
  .record({ nl, ind: fc.constantFrom('\t', '    ', '  '), p: patch, d: bump, pos: fc.nat(), block: fc.boolean(), indirect: fc.constantFrom('', ' // indirect', '\t// pinned v1.2.0'), others: fc.array(fc.constantFrom('example.com/target-extra v1.2.0', 'example.com/targ v1.2.0', '// example.com/target v1.0.0', ''), { maxLength: 4 }), end: eof })
  .map(({ nl, ind, p, d, pos, block, indirect, others, end }): Built => {
    const fixed = `v1.2.${p + d}`;
    const version = { old: `v1.2.${p}`, next: fixed };
    const head = `module example.com/me${nl}${nl}go 1.21${nl}${nl}`;
    const rest = others.map((o) => `${ind}${o}`);
    const pieces = block
      ? [head, `require (${nl}`, ...shuffleIn(rest.map((r) => [r, nl]), [`${ind}example.com/target `, version, `${indirect}${nl}`], pos).flat(), ')', end]
      : [head, 'require example.com/target ', version, indirect, nl, `// example.com/target v1.2.${p}`, end];
    return { ...assemble(pieces), path: 'go.mod', packageName: 'example.com/target', fixed };
  });

const maven = fc
  .record({ nl, ind: indent, ws: fc.constantFrom('', ' ', '  '), p: patch, d: bump, pos: fc.nat(), others: fc.array(fc.constantFrom('com.acme:target-extra', 'com.acme.x:target', 'org.other:lib'), { maxLength: 4 }), end: eof })
  .map(({ nl, ind, ws, p, d, pos, others, end }): Built => {
    const fixed = `1.2.${p + d}`;
    const dep = (ga: string, version: string | { old: string; next: string }) => {
      const [g, a] = ga.split(':');
      return [`${ind}${ind}<dependency>${nl}${ind}${ind}${ind}<groupId>${g}</groupId>${nl}${ind}${ind}${ind}<artifactId>${a}</artifactId>${nl}${ind}${ind}${ind}<version>${ws}`, version, `${ws}</version>${nl}${ind}${ind}</dependency>${nl}`];
    };
    const deps = shuffleIn(others.map((o) => dep(o, `1.2.${p}`)), dep('com.acme:target', { old: `1.2.${p}`, next: fixed }), pos);
    const pieces = [`<?xml version="1.0"?>${nl}<!-- com.acme:target 1.2.${p} -->${nl}<project>${nl}${ind}<version>1.2.${p}-SNAPSHOT</version>${nl}${ind}<dependencies>${nl}`, ...deps.flat(), `${ind}</dependencies>${nl}</project>`, end];
    return { ...assemble(pieces), path: 'pom.xml', packageName: 'com.acme:target', fixed };
  });

const gradle = fc
  .record({ nl, ind: indent, sp: fc.constantFrom(' ', '  ', '\t'), q: fc.constantFrom("'", '"'), paren: fc.boolean(), p: patch, d: bump, pos: fc.nat(), others: fc.array(fc.constantFrom("implementation 'com.acme:target-extra:1.2.0'", '// implementation "com.acme:target:1.0.0"', "/* 'com.acme:target:1.1.0' */", "testImplementation 'junit:junit:4.13'", ''), { maxLength: 4 }), end: eof })
  .map(({ nl, ind, sp, q, paren, p, d, pos, others, end }): Built => {
    const fixed = `1.2.${p + d}`;
    const open = paren ? '(' : sp;
    const target = [`${ind}implementation${open}${q}com.acme:target:`, { old: `1.2.${p}`, next: fixed }, `${q}${paren ? ')' : ''}`];
    const lines = shuffleIn(others.map((o) => [`${ind}${o}`]), target, pos);
    const pieces = [`plugins {${nl}${ind}id 'java'${nl}}${nl}version = '1.2.${p}'${nl}dependencies {${nl}`, ...lines.flatMap((l) => [...l, nl]), '}', end];
    return { ...assemble(pieces), path: 'build.gradle', packageName: 'com.acme:target', fixed };
  });

const bundler = fc
  .record({ nl, sp: space, q: fc.constantFrom("'", '"'), op: fc.constantFrom('~> ', '>= ', '= ', '', '>='), p: patch, d: bump, pos: fc.nat(), opts: fc.constantFrom('', ', require: false', ', group: :test # why'), others: fc.array(fc.constantFrom('gem "target-extra", "~> 1.2.0"', '# gem "target", "1.0.0"', "gem 'rails'", 'group :test do', 'end', ''), { maxLength: 5 }), end: eof })
  .map(({ nl, sp, q, op, p, d, pos, opts, others, end }): Built => {
    const fixed = `1.2.${p + d}`;
    const target = [`gem ${q}target${q},${sp}${q}${op}`, { old: `1.2.${p}`, next: fixed }, `${q}${opts}`];
    const lines = shuffleIn(others.map((o) => [o]), target, pos);
    const pieces = [`source "https://rubygems.org"${nl}`, ...lines.flatMap((l) => [...l, nl]), end];
    return { ...assemble(pieces), path: 'Gemfile', packageName: 'target', fixed };
  });

const generators = { npm, pip, gomod, maven, gradle, bundler };

describe.each(Object.entries(generators))('%s: only the version bytes change', (_ecosystem, generator) => {
  it('holds for random surroundings', () => {
    fc.assert(
      fc.property(generator, (built) => {
        const updater = updaterFor(built.path)!;
        const result = updater.update(built.content, built.path, { packageName: built.packageName, fixedVersion: built.fixed });
        expect(result, JSON.stringify(built.content)).toMatchObject({ ok: true });
        if (result.ok) {
          expect(result.content).toBe(built.expected);
          expect(result.changes).toHaveLength(1);
        }
      }),
      { numRuns: 200 },
    );
  });
});
