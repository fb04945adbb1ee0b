// Placeholder until the collector lands (issue 3); exists so the CDK stack can bundle it.
export const handler = async (): Promise<void> => {
  throw new Error('collector not implemented yet');
};
