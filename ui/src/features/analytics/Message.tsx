// The engine's messages quote ids in backticks (`seo`): shown as code.
export function Message({ text }: { text: string }) {
  const parts = text.split(/`([^`]+)`/);
  return (
    <div className="an-msg">
      {parts.map((p, i) => (i % 2 === 1 ? <code key={i}>{p}</code> : p))}
    </div>
  );
}
