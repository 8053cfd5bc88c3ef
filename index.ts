/** The package entry: the resources, their providers, the component and the store API. */
export * from "./provider";
export * from "./resources";
export * from "./components";
