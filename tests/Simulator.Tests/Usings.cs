global using Reconcile.Compiler.Tests;
global using Xunit;
