// The engine starts this with the provider protocol's arguments; the
// implementation is the package's own build, beside this folder.
require("../dist/native/main.js").main(process.argv.slice(2));
