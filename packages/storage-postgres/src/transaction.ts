import type { Pool, PoolClient } from "pg"

/**
 * Runs `work` in one transaction on a client of `pool`: commits when it resolves, rolls back and
 * rethrows when it throws. A client whose connection failed is destroyed, not returned to the pool,
 * so the next call opens a fresh connection.
 */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect()
  // The pool listens for errors only on idle clients. Without a listener of ours, a connection
  // lost while we hold the client would be an unhandled 'error' event and end the process.
  let broken: Error | undefined
  const onError = (error: Error) => {
    broken = error
  }
  client.on("error", onError)
  try {
    await client.query("BEGIN")
    const result = await work(client)
    await client.query("COMMIT")
    return result
  } catch (error) {
    if (!broken) {
      try {
        await client.query("ROLLBACK")
      } catch (rollbackError) {
        // The connection is gone; PostgreSQL rolls back by itself when a session ends.
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError))
      }
    }
    throw error
  } finally {
    client.off("error", onError)
    client.release(broken)
  }
}
