import { pino, type Logger, type LoggerOptions } from 'pino';

/**
 * The server's JSON logger. Every line carries `"name": "ferry"` once; what a child
 * names (Probot's `probot`, `github`, `event`; Ferry's `http`) becomes a `component`
 * field, joined as children nest (`probot/github`). pino writes a child's bindings
 * after its parent's, so a child `name` would otherwise put a second "name" key in the
 * line, and a nested one a second "component".
 */
export function serverLogger(opts: LoggerOptions, destination: NodeJS.WritableStream): Logger {
  const root = pino({ ...opts, name: 'ferry' }, destination as pino.DestinationStream);
  return wrap(root, root, {});
}

function wrap(root: Logger, logger: Logger, bindings: Record<string, unknown>): Logger {
  return new Proxy(logger, {
    get(target, prop, receiver) {
      if (prop !== 'child') return Reflect.get(target, prop, receiver);
      return (child: Record<string, unknown>, options?: pino.ChildLoggerOptions) => {
        const { name, ...rest } = child;
        const merged: Record<string, unknown> = { ...bindings, ...rest };
        if (typeof name === 'string' && name) merged.component = typeof bindings.component === 'string' ? `${bindings.component}/${name}` : name;
        // From the root with every binding merged: one key each, however deep the nesting.
        return wrap(root, root.child(merged, options), merged);
      };
    },
  });
}
