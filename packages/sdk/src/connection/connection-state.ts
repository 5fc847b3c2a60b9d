/**
 * The connection state machine (style guide practice 17). One transition
 * function applies changes and reports whether anything changed; the table
 * says which states may follow which, and is tested without sockets.
 */
export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'disconnected' | 'closed';

export const CONNECTION_TRANSITIONS: Readonly<Record<ConnectionState, readonly ConnectionState[]>> = {
  idle: ['connecting', 'closed'],
  connecting: ['connected', 'disconnected', 'closed'],
  connected: ['disconnected', 'closed'],
  disconnected: ['connecting', 'closed'],
  closed: ['idle'],
};

export function canTransition(from: ConnectionState, to: ConnectionState): boolean {
  return CONNECTION_TRANSITIONS[from].includes(to);
}

/** The TIM net state reported for each connection state. */
export function netStateOf(state: ConnectionState): 'connected' | 'connecting' | 'disconnected' {
  if (state === 'connected') return 'connected';
  if (state === 'connecting') return 'connecting';
  return 'disconnected';
}
