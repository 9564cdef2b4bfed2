export { openRawStream, preauthPayload, registerPayload, type RawStream } from "../../src/client/raw-stream.js";
