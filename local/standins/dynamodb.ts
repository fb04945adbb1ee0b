/** DynamoDB stand-in: dynalite in memory on 127.0.0.1, with the cursor table created through the real API. */
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { STANDIN_CREDENTIALS, STANDIN_REGION } from './constants.js';
import { closeServer, endpointOf, listenOnLoopback } from './net.js';

/** A running DynamoDB stand-in. */
export interface DynamoDbStandin {
  endpoint: string;
  close(): Promise<void>;
}

/** How long to wait for the table to turn ACTIVE (immediate with createTableMs 0). */
const ACTIVE_TIMEOUT_MS = 10_000;

/**
 * Starts dynalite and creates `table` exactly as the stack does: partition key `pk` (string),
 * on-demand billing. Resolves once the table is ACTIVE.
 */
export async function startDynamoDb(options: { table: string }): Promise<DynamoDbStandin> {
  // createTableMs 0: dynalite otherwise keeps new tables CREATING for 500 ms.
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await listenOnLoopback(server);
  const endpoint = endpointOf(server);
  const client = new DynamoDBClient({ endpoint, region: STANDIN_REGION, credentials: STANDIN_CREDENTIALS });
  try {
    await client.send(
      new CreateTableCommand({
        TableName: options.table,
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await waitUntilActive(client, options.table);
  } catch (err: unknown) {
    await closeServer(server);
    throw err;
  } finally {
    client.destroy();
  }
  return { endpoint, close: () => closeServer(server) };
}

async function waitUntilActive(client: DynamoDBClient, table: string): Promise<void> {
  const deadline = Date.now() + ACTIVE_TIMEOUT_MS;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
    if (Table?.TableStatus === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`table ${table} is still ${Table?.TableStatus ?? 'unknown'}`);
    // Polling is the protocol here (DescribeTable is how real clients wait too).
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
