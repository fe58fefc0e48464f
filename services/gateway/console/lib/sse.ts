// A server-sent events parser (the text/event-stream format of the HTML standard),
// fed with decoded chunks as they arrive. EventSource would do this, but it cannot
// send an Authorization header. No DOM here: unit-tested in node.

export interface SseMessage {
  event: string;
  data: string;
  id: string | null;
}

/** Returns a function to feed text chunks; `onMessage` gets each complete message. */
export function createSseParser(onMessage: (message: SseMessage) => void): (chunk: string) => void {
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let id: string | null = null;

  const line = (text: string) => {
    if (text === '') {
      if (data.length > 0) onMessage({ event: event || 'message', data: data.join('\n'), id });
      event = '';
      data = [];
      return;
    }
    if (text.startsWith(':')) return; // a comment: heartbeats
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id' && !value.includes('\0')) id = value;
  };

  return (chunk: string) => {
    buffer += chunk;
    // A trailing \r may be half of a \r\n still on its way: keep it for the next chunk.
    const lines = buffer.split(/\r\n|\r(?!$)|\n/);
    buffer = lines.pop() ?? '';
    for (const text of lines) line(text);
  };
}
