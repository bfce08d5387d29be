/**
 * Title and body of a fix PR. The body is what a reviewer needs to merge with confidence: what moves
 * from what to what and where, which advisories it closes (linked), which tickets track it, and how
 * to check it locally — within GitHub's 65,536-character limit, cut with a marker when it must be.
 * The ticket section comes first so the Jira key survives any cut.
 */
import { type FixItem, type ItemEdit, ticketsOf } from './types.ts';

export const MAX_BODY = 65_536;
const TRUNCATED = '\n\n_… truncated: the full details do not fit in a pull request body (65,536 characters)._\n';

const VERIFY: Record<string, { commands: (files: string[], hasLock: boolean) => string[]; lockfiles: string[]; regenerate: string }> = {
  npm: { commands: (_files, hasLock) => (hasLock ? ['npm install   # regenerates the lockfile for the new range', 'npm ci && npm test'] : ['npm install && npm test']), lockfiles: ['package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml'], regenerate: 'npm install (or yarn install / pnpm install)' },
  pip: { commands: (files) => files.map((file) => `pip install -r ${file.split('/').pop()}`), lockfiles: [], regenerate: '' },
  gomod: { commands: () => ['go mod tidy && go build ./...', 'go test ./...'], lockfiles: ['go.sum'], regenerate: 'go mod tidy' },
  maven: { commands: () => ['mvn -q verify'], lockfiles: [], regenerate: '' },
  gradle: { commands: () => ['gradle build   # or ./gradlew build'], lockfiles: ['gradle.lockfile'], regenerate: 'gradle dependencies --write-locks' },
  bundler: { commands: () => ['bundle install   # updates Gemfile.lock', 'bundle exec rake test'], lockfiles: ['Gemfile.lock'], regenerate: 'bundle install' },
};

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ').replace(/`/g, "'");
}

export function advisoryLink(id: string, url?: string | null): string {
  const text = cell(id);
  if (/^CVE-\d{4}-\d+$/i.test(id)) return `[${text}](https://nvd.nist.gov/vuln/detail/${id.toUpperCase()})`;
  if (/^GHSA(-[23456789cfghjmpqrvwx]{4}){3}$/i.test(id)) return `[${text}](https://github.com/advisories/${id})`;
  if (url && /^https?:\/\//.test(url)) return `[${text}](${url})`;
  return text;
}

function versionOf(edit: ItemEdit, item: FixItem): { from: string; to: string } {
  const first = edit.changes[0];
  return { from: item.currentVersion ?? first?.from ?? '?', to: item.fixedVersion };
}

export function buildTitle(items: FixItem[], edits: ItemEdit[]): string {
  const changed = edits.map((edit, index) => ({ edit, item: items[index]! })).filter(({ edit }) => edit.status === 'changed');
  if (changed.length === 1) {
    const { edit, item } = changed[0]!;
    const { from, to } = versionOf(edit, item);
    return `Bump ${item.packageName} from ${from} to ${to} (security)`.slice(0, 250);
  }
  return `Security updates for ${changed.length} packages`;
}

function dirOf(path: string): string {
  const index = path.lastIndexOf('/');
  return index < 0 ? '' : path.slice(0, index);
}

/** Markdown body; `treePaths` tells which lockfiles exist next to the changed manifests. */
export function buildBody(input: { items: FixItem[]; edits: ItemEdit[]; changedPaths: string[]; treePaths: Set<string>; branch: string }): string {
  const { items, edits } = input;
  const pairs = edits.map((edit, index) => ({ edit, item: items[index]! }));
  const changed = pairs.filter(({ edit }) => edit.status === 'changed');
  const lines: string[] = [];
  lines.push('## Security update', '');
  lines.push(
    changed.length === 1
      ? `Raises **${cell(changed[0]!.item.packageName)}** to the fixed version **${cell(changed[0]!.item.fixedVersion)}**. Only the version requirement changes; every other byte of each manifest is unchanged.`
      : `Raises ${changed.length} vulnerable dependencies to their fixed versions. Only the version requirements change; every other byte of each manifest is unchanged.`,
    '',
  );

  const tickets = [...new Map(items.flatMap(ticketsOf).map((ticket) => [ticket.key, ticket])).values()];
  if (tickets.length > 0) {
    lines.push('### Tickets', '');
    for (const ticket of tickets) lines.push(`- ${ticket.url ? `[${cell(ticket.key)}](${ticket.url})` : cell(ticket.key)}`);
    lines.push('');
  }

  lines.push('### Packages', '', '| Package | Ecosystem | From | To | Manifest |', '|---|---|---|---|---|');
  for (const { edit, item } of changed) {
    for (const change of edit.changes) lines.push(`| ${cell(item.packageName)} | ${edit.ecosystem} | \`${cell(change.from)}\` | \`${cell(change.to)}\` | \`${cell(change.path)}\` |`);
  }
  lines.push('');

  const advisories = changed.flatMap(({ item }) => item.advisories.map((advisory) => ({ advisory, item })));
  if (advisories.length > 0) {
    lines.push('### Advisories', '', '| Advisory | Package | Severity |', '|---|---|---|');
    const seen = new Set<string>();
    for (const { advisory, item } of advisories) {
      const key = `${advisory.id}|${item.packageName}`;
      if (seen.has(key)) continue;
      seen.add(key);
      lines.push(`| ${advisoryLink(advisory.id, advisory.url)} | ${cell(item.packageName)} | ${cell(advisory.severity ?? 'unknown')} |`);
    }
    lines.push('');
  }

  const notes = changed.flatMap(({ edit }) => edit.notes.filter((note) => note.code !== 'lockfile-must-be-regenerated').map((note) => `- \`${cell(note.path)}\`: ${cell(note.message)}`));
  if (notes.length > 0) lines.push('### Notes', '', ...[...new Set(notes)], '');

  lines.push('### How to verify', '');
  const byDir = new Map<string, { ecosystem: string; files: string[] }>();
  for (const { edit } of changed) {
    for (const change of edit.changes) {
      const ecosystem = change.path.endsWith('.gradle') || change.path.endsWith('.kts') || change.path.endsWith('.toml') || change.path.endsWith('gradle.properties') ? 'gradle' : edit.ecosystem;
      const key = `${ecosystem}|${dirOf(change.path)}`;
      const entry = byDir.get(key) ?? { ecosystem, files: [] };
      if (!entry.files.includes(change.path)) entry.files.push(change.path);
      byDir.set(key, entry);
    }
  }
  const lockNotes: string[] = [];
  for (const [key, { ecosystem, files }] of byDir) {
    const dir = key.slice(key.indexOf('|') + 1);
    const verify = VERIFY[ecosystem];
    if (!verify) continue;
    const locks = verify.lockfiles.map((lock) => (dir ? `${dir}/${lock}` : lock)).filter((lockPath) => input.treePaths.has(lockPath));
    lines.push('```sh', ...(dir ? [`cd ${dir}`] : []), ...verify.commands(files, locks.length > 0), '```', '');
    for (const lockPath of locks) {
      lockNotes.push(`- \`${lockPath}\` must be regenerated (\`${verify.regenerate}\`) and committed to this branch; it is not edited here because its hashes and resolved versions come from the registry.`);
    }
  }
  if (lockNotes.length > 0) lines.push('**Lockfiles**', '', ...lockNotes, '');
  lines.push(`<sub>Opened by Integration Service on branch \`${input.branch}\`. Pushing to this branch stops automatic updates of it.</sub>`);
  return fitBody(lines.join('\n'));
}

/** Seed 001 sends its own body; we add the ticket keys when absent so both sides link. */
export function withTicketFooter(body: string, tickets: { key: string; url: string | null }[]): string {
  const missing = tickets.filter((ticket) => !body.includes(ticket.key));
  if (missing.length === 0) return fitBody(body);
  const footer = `\n\n---\nTracked in ${missing.map((ticket) => (ticket.url ? `[${ticket.key}](${ticket.url})` : ticket.key)).join(', ')}.`;
  if (body.length + footer.length <= MAX_BODY) return body + footer;
  return fitBody(body, footer);
}

/** Cuts at a line boundary, adds the marker, and keeps `tail` (the ticket footer) whole. */
export function fitBody(body: string, tail = ''): string {
  if (body.length + tail.length <= MAX_BODY) return body + tail;
  const room = MAX_BODY - TRUNCATED.length - tail.length;
  let cut = body.lastIndexOf('\n', room);
  if (cut < room / 2) cut = room;
  // Never end inside a surrogate pair.
  if (/[\uD800-\uDBFF]/.test(body.charAt(cut - 1))) cut--;
  return body.slice(0, cut) + TRUNCATED + tail;
}
