#!/usr/bin/python3
"""The reference for t/summary.sh: builds each REPORT-SPEC model in PyTorch
from the spec's own notation (not from the manifests), as the nn.Module a
report would paste, and writes what `cnnlab summary` must print for it:
torchsummary 1.5's table (its summary() reproduced with forward hooks, as
torchsummary may not be installed) and print(net) with the parameter count.

Usage: summary-reference.py MODELS OUTDIR
MODELS has lines "manifest variant parameters notation..."; the text for
each goes to OUTDIR/manifest.variant.txt.

Notation (REPORT-SPEC.md): conv(C,k) conv(C,k,s) conv(C,k,p=1) pool(k,s)
pool (= pool(2,2)) gp fc(N). Every conv and hidden fc is followed by
F.relu; gp is F.adaptive_avg_pool2d(x, 1) then a flatten. Attributes:
conv1.., fc1.., and one shared `pool` per pooling configuration (pool,
pool2, ...), as cnnlab names them. Batch norm (issue 21): conv(C,k,b=0)
has no bias; bn after a conv is nn.BatchNorm2d, bn1d after an fc
nn.BatchNorm1d, each taking the F.relu that would follow the layer before
it (conv → BN → ReLU); attributes bn1, bn2, ... in order."""
import os
import re
import sys
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F


def parse(notation):
    items = []
    for token in re.findall(r'\w+(?:\([^)]*\))?', notation):
        match = re.match(r'(\w+)(?:\((.*)\))?$', token)
        kind, args = match.group(1), match.group(2)
        positional, named = [], {}
        for arg in (args.split(',') if args else []):
            arg = arg.strip()
            if '=' in arg:
                key, value = arg.split('=')
                named[key] = int(value)
            else:
                positional.append(int(arg))
        items.append((kind, positional, named))
    return items


class Net(nn.Module):
    def __init__(self, notation, channels):
        super().__init__()
        self.plan = []
        pools = {}
        convs = fcs = bns = 0
        for kind, positional, named in parse(notation):
            if kind == 'conv':
                convs += 1
                name = 'conv%d' % convs
                stride = positional[2] if len(positional) > 2 else 1
                setattr(self, name, nn.Conv2d(channels, positional[0],
                                              positional[1], stride,
                                              named.get('p', 0),
                                              bias=bool(named.get('b', 1))))
                channels = positional[0]
                self.plan.append(('relu', name))
            elif kind == 'pool':
                config = tuple(positional) if positional else (2, 2)
                if config not in pools:
                    pools[config] = ('pool' if not pools
                                     else 'pool%d' % (len(pools) + 1))
                    setattr(self, pools[config], nn.MaxPool2d(*config))
                self.plan.append(('plain', pools[config]))
            elif kind in ('bn', 'bn1d'):
                bns += 1
                name = 'bn%d' % bns
                module = nn.BatchNorm2d if kind == 'bn' else nn.BatchNorm1d
                setattr(self, name, module(channels))
                self.plan[-1] = ('plain', self.plan[-1][1])
                self.plan.append(('relu', name))
            elif kind == 'gp':
                self.plan.append(('gp', None))
            elif kind == 'fc':
                fcs += 1
                name = 'fc%d' % fcs
                setattr(self, name, nn.Linear(channels, positional[0]))
                channels = positional[0]
                self.plan.append(('relu', name))
            else:
                raise ValueError('unknown notation %r' % kind)
        self.plan[-1] = ('plain', self.plan[-1][1])  # the logits: no ReLU

    def forward(self, x):
        for how, name in self.plan:
            if how == 'gp':
                x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
            elif how == 'relu':
                x = F.relu(getattr(self, name)(x))
            else:
                x = getattr(self, name)(x)
        return x


def torchsummary_text(model, input_size, batch_size=-1):
    """torchsummary.summary(model, input_size)'s output, as lines."""
    summary = OrderedDict()
    hooks = []

    def register_hook(module):
        def hook(module, inputs, output):
            class_name = str(module.__class__).split('.')[-1].split("'")[0]
            key = '%s-%i' % (class_name, len(summary) + 1)
            summary[key] = OrderedDict()
            summary[key]['output_shape'] = list(output.size())
            summary[key]['output_shape'][0] = batch_size
            params = 0
            if hasattr(module, 'weight') and hasattr(module.weight, 'size'):
                params += torch.prod(torch.LongTensor(list(module.weight.size())))
                summary[key]['trainable'] = module.weight.requires_grad
            if hasattr(module, 'bias') and hasattr(module.bias, 'size'):
                params += torch.prod(torch.LongTensor(list(module.bias.size())))
            summary[key]['nb_params'] = params

        if not isinstance(module, (nn.Sequential, nn.ModuleList)) \
                and module is not model:
            hooks.append(module.register_forward_hook(hook))

    model.apply(register_hook)
    with torch.no_grad():
        model(torch.rand(2, *input_size))
    for hook in hooks:
        hook.remove()

    def product(values):
        result = 1
        for value in values:
            result *= value
        return result

    lines = ['-' * 64,
             '{:>20}  {:>25} {:>15}'.format('Layer (type)', 'Output Shape',
                                            'Param #'),
             '=' * 64]
    total_params = total_output = trainable_params = 0
    for layer in summary:
        nb_params = int(summary[layer]['nb_params'])
        lines.append('{:>20}  {:>25} {:>15}'.format(
            layer, str(summary[layer]['output_shape']),
            '{0:,}'.format(nb_params)))
        total_params += nb_params
        total_output += product(summary[layer]['output_shape'])
        if summary[layer].get('trainable'):
            trainable_params += nb_params
    total_input_size = abs(product(input_size) * batch_size * 4. / (1024 ** 2.))
    total_output_size = abs(2. * total_output * 4. / (1024 ** 2.))
    total_params_size = abs(total_params * 4. / (1024 ** 2.))
    total_size = total_params_size + total_output_size + total_input_size
    lines += ['=' * 64,
              'Total params: {0:,}'.format(total_params),
              'Trainable params: {0:,}'.format(trainable_params),
              'Non-trainable params: {0:,}'.format(total_params -
                                                   trainable_params),
              '-' * 64,
              'Input size (MB): %0.2f' % total_input_size,
              'Forward/backward pass size (MB): %0.2f' % total_output_size,
              'Params size (MB): %0.2f' % total_params_size,
              'Estimated Total Size (MB): %0.2f' % total_size,
              '-' * 64]
    return lines


def main():
    models, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    with open(models) as rows:
        for row in rows:
            if not row.strip():
                continue
            manifest, variant, _, notation = row.split(None, 3)
            net = Net(notation, 3)
            lines = torchsummary_text(net, (3, 84, 84))
            lines += ['', str(net), 'Number of params : %d'
                      % sum(p.numel() for p in net.parameters())]
            path = os.path.join(outdir, '%s.%s.txt' % (manifest, variant))
            with open(path, 'w') as out:
                out.write('\n'.join(lines) + '\n')


if __name__ == '__main__':
    main()
