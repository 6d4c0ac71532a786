// Scripts of the pages; every page works without JavaScript.
"use strict";
