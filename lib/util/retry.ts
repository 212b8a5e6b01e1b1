/**
 * Runs `attempt` until it answers; undefined means it lost a race (a conditional write failed) and should re-read
 * and try again. Waits with full jitter between tries, so writers that collided spread out instead of colliding
 * again; throws `failure` after `attempts` tries.
 */
export async function withRetries<T>(
  attempt: () => Promise<T | undefined>,
  options: { attempts?: number; baseMs?: number; failure?: string } = {},
): Promise<T> {
  const { attempts = 8, baseMs = 20, failure = 'kept changing concurrently' } = options;
  for (let tries = 0; tries < attempts; tries++) {
    const result = await attempt();
    if (result !== undefined) return result;
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 2 ** tries * baseMs));
  }
  throw new Error(failure);
}
