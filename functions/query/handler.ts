// Placeholder until the query API lands (issue 5); exists so the CDK stack can bundle it.
export const handler = async (): Promise<{ statusCode: number }> => ({ statusCode: 501 });
