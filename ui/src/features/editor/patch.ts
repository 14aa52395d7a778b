/** A copy of `obj` with `key` set, or removed when `value` is undefined (absent = the format's default). */
export function withField<T extends object, K extends keyof T>(obj: T, key: K, value: T[K] | undefined): T {
  const next = { ...obj };
  if (value === undefined || (Array.isArray(value) && value.length === 0) || (isPlainObject(value) && Object.keys(value).length === 0)) {
    delete next[key];
  } else {
    next[key] = value;
  }
  return next;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Like `withField` for a nested optional object: removes it when it becomes empty. */
export function withNested<T extends object, K extends keyof T, N extends object>(obj: T, key: K, nested: N | undefined): T {
  if (nested === undefined || Object.keys(nested).length === 0) return withField(obj, key, undefined);
  return { ...obj, [key]: nested };
}
