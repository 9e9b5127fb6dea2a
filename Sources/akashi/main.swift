import AkashiCLI

await Akashi.runMain()
