/* layer.c: the empty program each layer of libokno is linked into, whole, with only the
 * layers below it (src/meson.build). It calls nothing: its use is the link itself,
 * which fails with an undefined symbol when a layer calls a function of a layer above
 * it, so an upward dependency stops the build. */
int main(void)
{
  return 0;
}
