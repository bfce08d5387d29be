export interface LargeRepositoryOptions { dir: string }
export async function buildLargeRepository(_o: LargeRepositoryOptions): Promise<void> {}
