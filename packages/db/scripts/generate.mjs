console.log("generate: placeholder");
