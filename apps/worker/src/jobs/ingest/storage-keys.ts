// Where ingested images live in storage. Keys derive from content, so a re-run writes the same objects.
export function imageKey(projectId: string, sha256: string, extension: string): string {
  return `projects/${projectId}/images/${sha256}.${extension}`;
}

export function thumbnailKey(projectId: string, sha256: string): string {
  return `projects/${projectId}/thumbnails/${sha256}.jpg`;
}
