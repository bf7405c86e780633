// oauth2-mock-server (npm) on 127.0.0.1:<port>, the OAuth 2.0 server localexa's token endpoint is
// compared with: `node bench/oauth2_mock.js 18400`, then POST /token with grant_type=refresh_token.
// It signs RS256 JWTs (an access token and an id_token) per answer and stores nothing.
const { OAuth2Server } = require("oauth2-mock-server");

async function main() {
  const port = Number(process.argv[2] || 18400);
  const server = new OAuth2Server();
  await server.issuer.keys.generate("RS256");
  await server.start(port, "127.0.0.1");
  console.log(`oauth2-mock-server listening on ${server.issuer.url}`);
  const stop = async () => {
    await server.stop();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
