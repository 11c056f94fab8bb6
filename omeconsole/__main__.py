from omeconsole.cli import main

raise SystemExit(main())
