// The TypeScript client that @hey-api/openapi-ts generated from the document,
// used as an app would: tsc --strict must accept every line.
import { createClient } from './ts-client/client';
import { listInterviews, patchNote, projectQdpx } from './ts-client/sdk.gen';
import type { InterviewList, NoteOut, Problem } from './ts-client/types.gen';

const client = createClient({ baseUrl: 'http://127.0.0.1:8080', auth: () => 'fnk_example' });

export async function everyInterview(): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const { data } = await listInterviews({ client, query: { limit: 50, cursor } });
    const page: InterviewList | undefined = data;
    ids.push(...(page?.items.map((i) => i.id) ?? []));
    cursor = page?.next_cursor ?? undefined;
  } while (cursor);
  return ids;
}

export async function edit(id: string, etag: string): Promise<NoteOut | Problem | undefined> {
  const res = await patchNote({ client, path: { id }, headers: { 'If-Match': etag }, body: { body: 'x' } });
  return res.data ?? res.error;
}

export async function download(): Promise<Blob | File | undefined> {
  return (await projectQdpx({ client })).data;
}
