// Open a sealed Sharokey payload exactly as a browser would, with WebCrypto.
//
// stdin:  {"payload": {content, iv, salt, key, attachments?: [{name, data, iv?}]}, "key_b": "..."}
// stdout: {"content": "...", "attachments": [{"name": "...", "data_b64": "..."}]}
// Any failure exits with status 1 and a short reason on stderr.
//
// Only globalThis.crypto.subtle and atob/TextEncoder/TextDecoder are used (no Node
// crypto module), so what passes here is what a browser viewer can do.

const subtle = globalThis.crypto.subtle;

function fromBase64(text) {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function toBase64(bytes) {
  let binary = "";
  const step = 0x8000;
  for (let i = 0; i < bytes.length; i += step) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + step));
  }
  return btoa(binary);
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

async function main() {
  const { payload, key_b: keyB } = JSON.parse(await readStdin());
  const password = new TextEncoder().encode(payload.key + keyB);
  const base = await subtle.importKey("raw", password, "PBKDF2", false, ["deriveKey"]);
  const aesKey = await subtle.deriveKey(
    { name: "PBKDF2", salt: fromBase64(payload.salt), iterations: 10000, hash: "SHA-256" },
    base,
    { name: "AES-GCM", length: 256 },
    false,
    ["decrypt"],
  );
  const open = async (data, iv, additionalData) => {
    const params = { name: "AES-GCM", iv: fromBase64(iv), tagLength: 128 };
    if (additionalData) params.additionalData = additionalData;
    return new Uint8Array(await subtle.decrypt(params, aesKey, fromBase64(data)));
  };

  const content = new TextDecoder("utf-8", { fatal: true }).decode(await open(payload.content, payload.iv));
  const attachments = [];
  const files = payload.attachments || [];
  for (const [index, file] of files.entries()) {
    // Official format: the content's iv; this SDK's "unique" mode: the file's own iv, with
    // its place, the file count and its name bound as associated data.
    const bound = file.iv
      ? new TextEncoder().encode(`sharokey-attachment-v1\0${index}\0${files.length}\0${file.name}`)
      : null;
    const plain = await open(file.data, file.iv || payload.iv, bound);
    attachments.push({ name: file.name, data_b64: toBase64(plain) });
  }
  process.stdout.write(JSON.stringify({ content, attachments }));
}

main().catch((error) => {
  process.stderr.write(`webcrypto_open: ${error && error.name ? error.name : "error"}\n`);
  process.exit(1);
});
