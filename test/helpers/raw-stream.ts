export { openRawStream, preauthPayload, registerPayload } from "../../src/client/raw-stream.js";
