/**
 * What the Confluence simulator holds: users (the same Atlassian accounts and API tokens as the Jira
 * simulators), spaces and pages with their version history. Ids are numeric strings, as in Confluence
 * Cloud. Titles are unique per space among current, draft and archived pages (a trashed page frees its
 * title).
 */
export interface ConfluenceUser {
  accountId: string;
  email: string;
  displayName: string;
  /** Classic API token: Basic email:token at the site URL (and the gateway). */
  apiToken: string;
  /** Scoped API token: Basic email:token through the gateway only. */
  scopedApiToken: string;
}

export interface SpaceRecord {
  id: string;
  key: string;
  name: string;
  type: 'global' | 'personal' | 'collaboration' | 'knowledge_base';
  status: 'current' | 'archived';
  authorId: string;
  createdAt: string;
  homepageId: string;
  description: string;
}

export type Representation = 'storage' | 'atlas_doc_format' | 'wiki';

export interface PageVersion {
  number: number;
  message: string;
  minorEdit: boolean;
  authorId: string;
  createdAt: string;
  title: string;
  body: { representation: Representation; value: string };
}

export type PageStatus = 'current' | 'draft' | 'archived' | 'trashed' | 'deleted';

export interface PageRecord {
  id: string;
  spaceId: string;
  parentId: string | null;
  status: PageStatus;
  title: string;
  authorId: string;
  ownerId: string;
  createdAt: string;
  /** Oldest first; the last one is the current version. */
  versions: PageVersion[];
}

export const SIM_USERS: ConfluenceUser[] = [
  { accountId: '712020:00000000-0000-4000-8000-000000000b07', email: 'bot@sim.example', displayName: 'Integration Bot', apiToken: 'sim-api-token-bot', scopedApiToken: 'sim-scoped-token-bot' },
  { accountId: '712020:00000000-0000-4000-8000-0000000a11ce', email: 'alice@sim.example', displayName: 'Alice Admin', apiToken: 'sim-api-token-alice', scopedApiToken: 'sim-scoped-token-alice' },
];

export interface ConfluenceStore {
  users: ConfluenceUser[];
  spaces: SpaceRecord[];
  pages: Map<string, PageRecord>;
  nextId(): string;
  now(): string;
}

export function createStore(now: () => number, users: ConfluenceUser[] = SIM_USERS): ConfluenceStore {
  let id = 65_536;
  const store: ConfluenceStore = {
    users,
    spaces: [],
    pages: new Map(),
    nextId: () => String((id += 1)),
    now: () => new Date(now()).toISOString(),
  };
  return store;
}

export function currentVersion(page: PageRecord): PageVersion {
  const version = page.versions.at(-1);
  if (!version) throw new Error(`page ${page.id} has no version`);
  return version;
}

/** A title is taken in a space by any page that is not trashed or deleted. */
export function titleTaken(store: ConfluenceStore, spaceId: string, title: string, exceptPageId?: string): boolean {
  for (const page of store.pages.values()) {
    if (page.id === exceptPageId || page.spaceId !== spaceId) continue;
    if (page.status === 'trashed' || page.status === 'deleted') continue;
    if (page.title === title) return true;
  }
  return false;
}

export function createSpace(store: ConfluenceStore, input: { key: string; name: string; description?: string; authorId?: string }): SpaceRecord {
  const space: SpaceRecord = {
    id: store.nextId(),
    key: input.key,
    name: input.name,
    type: 'global',
    status: 'current',
    authorId: input.authorId ?? SIM_USERS[0]!.accountId,
    createdAt: store.now(),
    homepageId: '',
    description: input.description ?? '',
  };
  store.spaces.push(space);
  // Every space has a homepage titled after the space; new pages go under it by default.
  const home = createPage(store, { spaceId: space.id, title: `${input.name} Home`, body: { representation: 'storage', value: `<p>${input.name}</p>` }, authorId: space.authorId, parentId: null });
  space.homepageId = home.id;
  return space;
}

export function createPage(
  store: ConfluenceStore,
  input: { spaceId: string; title: string; body: { representation: Representation; value: string }; authorId: string; parentId: string | null; status?: 'current' | 'draft' },
): PageRecord {
  const at = store.now();
  const page: PageRecord = {
    id: store.nextId(),
    spaceId: input.spaceId,
    parentId: input.parentId,
    status: input.status ?? 'current',
    title: input.title,
    authorId: input.authorId,
    ownerId: input.authorId,
    createdAt: at,
    versions: [{ number: 1, message: '', minorEdit: false, authorId: input.authorId, createdAt: at, title: input.title, body: input.body }],
  };
  store.pages.set(page.id, page);
  return page;
}
