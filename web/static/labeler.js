// labeler.js placeholder
